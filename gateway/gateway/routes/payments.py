"""The payments API: payments and refunds (one, or a batch), their notes and receipts, a
client's payment history, the payment tools, payment methods and the payments settings.

Money-changing requests (create, batch, change, receive, void, and the payments settings
themselves) go through :func:`money_context`, which applies the security preference:

- ``X-Confirm-Password``, when sent, is checked here (the gateway owns the users) and must be
  the caller's password: a wrong one is 403 whatever the setting;
- when ``require_credentials`` is on, the caller also needs ``payments.modify`` and a
  confirmed password, or it is 403 before anything is sent to the payments service.

The setting lives in the payments service. The gateway keeps its answer for
``PAYMENTS_SETTINGS_CACHE_SECONDS`` (5 s), so the common request (preference off, no password
sent) costs no extra round trip; but a cached answer is never what decides:

- cached "on" and the request lacks the permission or the password: the gateway asks the
  payments service again before refusing, so turning the preference off takes effect at once
  in every gateway process;
- cached "off" (perhaps stale): the request goes on, with ``credentials_confirmed`` in the
  call's context, and the payments service checks its own current setting in the transaction
  that would write, so turning it on also takes effect at once.

``Idempotency-Key`` (≤ 255 characters) is passed to the service for POST /payments and
/payments/batch; without one, the gateway makes one per request, so a redelivered RPC cannot
record twice.
"""
import base64
import os
import threading
import time
import uuid

from flask import Response, current_app, g, request

from proofsheet_shared.contracts import payments as c
from proofsheet_shared.errors import Forbidden, ValidationError
from proofsheet_shared.schemas import load

from ..api import Api, json_body
from ..auth import rpc
from ..permissions import has
from ..users import confirm_password

api = Api("payments")
READ, WRITE, MODIFY, CONFIGURE = "payments.read", "payments.write", "payments.modify", "payments.configure"
UNPROCESSABLE = {422: "unprocessable: a business rule refused it (the message says which)"}
SECURED = {403: "forbidden: the role does not allow it, or the security preference is on and the caller "
                "lacks payments.modify or a correct X-Confirm-Password"}
KEYED = {409: "the Idempotency-Key was used for another request"}
BATCH_TIMEOUT = 120


class SecuritySetting:
    """``require_credentials`` as the payments service last said, for a few seconds."""

    def __init__(self, ttl):
        self.ttl = ttl
        self._lock = threading.Lock()
        self._value = None
        self._until = 0.0

    def get(self, fresh=False):
        with self._lock:
            if not fresh and self._value is not None and time.monotonic() < self._until:
                return self._value
        value = bool(rpc("payments", "security_settings")["require_credentials"])
        self.remember(value)
        return value

    def remember(self, value):
        with self._lock:
            self._value, self._until = bool(value), time.monotonic() + self.ttl

    def forget(self):
        with self._lock:
            self._value, self._until = None, 0.0


security = SecuritySetting(float(os.environ.get("PAYMENTS_SETTINGS_CACHE_SECONDS") or 5))


def money_context():
    """The call context for a request that changes money, after the security preference."""
    caller = g.caller
    password = request.headers.get("X-Confirm-Password")
    confirmed = False
    if password is not None:
        with current_app.extensions["proofsheet"].db.session() as session:
            confirmed = confirm_password(session, caller.user_id, password)
        if not confirmed:
            raise Forbidden("X-Confirm-Password is not your password", {"X-Confirm-Password": "incorrect"})
    allowed = confirmed and has(caller.permissions, MODIFY)
    if not allowed and security.get() and security.get(fresh=True):
        if not has(caller.permissions, MODIFY):
            raise Forbidden(f"the security preference is on: this needs the '{MODIFY}' permission",
                            {"permission": MODIFY})
        if not confirmed:
            raise Forbidden("the security preference is on: confirm your password in the X-Confirm-Password "
                            "header", {"X-Confirm-Password": "required"})
    return dict(caller.context(), credentials_confirmed=confirmed)


def money_rpc(method, *args, timeout=None):
    context = money_context()
    return current_app.extensions["proofsheet"].rpc.call("payments", method, *args, context=context,
                                                         timeout=timeout)


def idempotency_key():
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return f"gateway:{uuid.uuid4().hex}"
    if not 0 < len(key) <= 255:
        raise ValidationError("Idempotency-Key must be 1 to 255 characters",
                              {"Idempotency-Key": "1 to 255 characters"})
    return key


# settings and methods ---------------------------------------------------------------------------

@api.route("/settings/payments", "GET", "The payments settings: the security preference, numbering",
           "settings", response=c.PaymentSettingsSchema, permission=READ)
def get_payment_settings():
    settings = rpc("payments", "get_settings")
    security.remember(settings["require_credentials"])
    return settings


@api.route("/settings/payments", "PATCH", "Change the payments settings (with require_credentials on, this "
           "needs X-Confirm-Password too)", "settings", body=c.PaymentSettingsSchema, partial=True,
           response=c.PaymentSettingsSchema, permission=CONFIGURE, extra_responses=SECURED)
def patch_payment_settings(body):
    security.forget()
    settings = money_rpc("update_settings", body)
    security.remember(settings["require_credentials"])
    return settings


@api.route("/payment-methods", "GET", "Payment methods, in their order", "payment methods",
           query=c.PaymentMethodListArgs, response=c.PaymentMethodListSchema, permission=READ)
def get_payment_methods(args):
    return rpc("payments", "list_methods", args)


@api.route("/payment-methods", "POST", "Add a payment method (its type decides its fields)",
           "payment methods", body=c.PaymentMethodInSchema, response=c.PaymentMethodOutSchema, status=201,
           permission=CONFIGURE, extra_responses={409: "a method of that name exists"})
def post_payment_method(body):
    return rpc("payments", "create_method", body)


@api.route("/payment-methods/<int:method_id>", "PATCH", "Rename, reorder or deactivate a payment method",
           "payment methods", body=c.PaymentMethodInSchema, partial=True, response=c.PaymentMethodOutSchema,
           permission=CONFIGURE, extra_responses={409: "a method of that name exists", **UNPROCESSABLE})
def patch_payment_method(method_id, body):
    return rpc("payments", "update_method", method_id, body)


# payments and refunds -----------------------------------------------------------------------------

@api.route("/payments", "GET", "The payments hub: client, invoice, credit memo, method, kind, status, "
           "from/to (payment date), future=true&due_before= (promised payments due)", "payments",
           query=c.PaymentListArgs, response=c.PaymentPageSchema, permission=READ)
def get_payments(args):
    return rpc("payments", "list_payments", args)


@api.route("/payments", "POST", "Record a payment (against an invoice, or a deposit) or a refund (from a "
           "credit memo). Headers: Idempotency-Key (a replay returns the first response), X-Confirm-Password "
           "(the security preference)", "payments", body=c.PaymentInSchema, response=c.PaymentCreatedSchema,
           status=201, permission=WRITE, extra_responses={**KEYED, **UNPROCESSABLE, **SECURED})
def post_payment(body):
    return money_rpc("create_payment", body, idempotency_key())


@api.route("/payments/batch", "POST", "Add Payments: many payments for many clients, all recorded or none "
           "(errors per row: payments.3.amount). Headers: Idempotency-Key, X-Confirm-Password",
           "payments",
           body=c.PaymentBatchSchema, response=c.PaymentBatchOutSchema, status=201, permission=WRITE,
           extra_responses={**KEYED, **UNPROCESSABLE, **SECURED})
def post_payment_batch(body):
    return money_rpc("create_payments", body, idempotency_key(), timeout=BATCH_TIMEOUT)


@api.route("/payments/amount-for", "GET", "Payment tools: the amount for a percentage of an invoice's "
           "total, or its full open balance (rounded half up to the cent)", "payments", query=c.AmountForArgs,
           response=c.AmountForSchema, permission=READ)
def get_amount_for(args):
    return rpc("payments", "amount_for", args)


@api.route("/payments/<int:payment_id>", "GET", "One payment or refund", "payments",
           response=c.PaymentOutSchema, permission=READ)
def get_payment(payment_id):
    return rpc("payments", "get_payment", payment_id)


@api.route("/payments/<int:payment_id>", "PATCH", "Change a payment or refund (amounts checked again; a note "
           "records what changed)", "payments", body=c.PaymentPatchSchema, partial=True,
           response=c.PaymentOutSchema, permission=WRITE, extra_responses={**UNPROCESSABLE, **SECURED})
def patch_payment(payment_id, body):
    return money_rpc("update_payment", payment_id, body)


@api.route("/payments/<int:payment_id>", "DELETE", "Delete (void) a payment or refund: it stays visible "
           "with its notes and stops counting", "payments", response=c.PaymentOutSchema, permission=WRITE,
           extra_responses=SECURED)
def delete_payment(payment_id):
    payload = json_body() or None
    if payload is not None:
        load(c.VoidSchema(), payload)
    return money_rpc("void_payment", payment_id, payload)


@api.route("/payments/<int:payment_id>/receive", "POST", "A future payment has come in: it counts from now",
           "payments", body=c.ReceiveSchema, response=c.PaymentCreatedSchema, permission=WRITE,
           extra_responses={**UNPROCESSABLE, **SECURED})
def post_receive_payment(payment_id, body):
    return money_rpc("receive_payment", payment_id, body)


@api.route("/payments/<int:payment_id>/notes", "GET", "The status notes of a payment or refund (who, when, "
           "what changed); they cannot be changed or deleted", "payments", response=c.PaymentNoteListSchema,
           permission=READ)
def get_payment_notes(payment_id):
    return rpc("payments", "list_notes", payment_id)


@api.route("/payments/<int:payment_id>/receipt.pdf", "GET", "The printable receipt (application/pdf)",
           "payments", permission=READ, content_type="application/pdf")
def get_payment_receipt(payment_id):
    document = base64.b64decode(rpc("payments", "render_receipt_pdf", payment_id, timeout=60))
    return Response(document, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="receipt-{payment_id}.pdf"'})


@api.route("/clients/<int:client_id>/payments", "GET", "A client's payment history, newest first",
           "payments", query=c.ClientPaymentsArgs, response=c.ClientPaymentsSchema, permission=READ)
def get_client_payments(client_id, args):
    return rpc("payments", "list_client_payments", client_id, args)
