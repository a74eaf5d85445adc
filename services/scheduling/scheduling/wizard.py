"""The scheduling wizard (seeds 000/001): in one request, book the session, then optionally
invoice it (the session type's price-list items, or the lines given), then optionally take a
payment (any method the payments service accepts).

Each step commits before the next starts (the session is a real booking while invoicing
and payments are asked). If a later step fails, the earlier ones are undone: the invoice
voided, the session cancelled. The answer then names the step that failed, why (its error,
fields prefixed with the step: ``payment.amount``) and what was undone.

With an ``Idempotency-Key`` the request is claimed in ``wizard_runs`` before anything is
made, each step's result is recorded as soon as it exists, and the final answer (success or
failure) is stored: a retry gets the stored answer and makes nothing; a retry while the
first is still working gets 409; a retry of a run that died midway (older than
``stale_seconds``) resumes it, reusing what it recorded (the payment is asked with the same
key, so the payments service never takes it twice; an invoice made but not yet recorded is
found by its session id).
"""

import hashlib
import json
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from proofsheet_shared.contracts.invoicing import LineInSchema
from proofsheet_shared.contracts.scheduling import IDEMPOTENCY_KEY_MAX, SessionInSchema, WizardInSchema
from proofsheet_shared.errors import Conflict, DomainError, ValidationError
from proofsheet_shared.schemas import flatten_messages, load
from proofsheet_shared.types import utcnow

from . import lookups, sessions
from .models import WizardRun

INVOICE_FIELDS = ("coupon_code", "invoice_date", "due_date", "tax_rate_id", "notes")


def request_hash(payload):
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _prefixed(prefix, fields):
    out = {}
    for name, why in (fields or {}).items():
        out[name if name.startswith(prefix + ".") or name == "client_id" else f"{prefix}.{name}"] = why
    return out


def _validate(session, data):
    """Everything that can be checked before anything is made."""
    booking = dict(data["session"])
    if booking.get("client_id") not in (None, data["client_id"]):
        raise ValidationError(
            "the session is for the wizard's client", {"session.client_id": "must be client_id"}
        )
    booking["client_id"] = data["client_id"]
    if booking.get("recurrence"):
        raise ValidationError(
            "the wizard books one session; book a series with POST /sessions",
            {"session.recurrence": "not in the wizard"},
        )
    try:
        SessionInSchema().load(booking)
    except Exception as exc:  # marshmallow's error: the same fields, under session.
        messages = getattr(exc, "messages", None)
        if messages is None:
            raise
        raise ValidationError(
            "some fields of the session are not valid", _prefixed("session", flatten_messages(messages))
        ) from None
    invoice = data.get("invoice")
    if invoice is not None:
        lines = invoice.get("lines")
        if lines:
            for index, line in enumerate(lines):
                try:
                    LineInSchema().load(line)
                except Exception as exc:
                    messages = getattr(exc, "messages", None)
                    if messages is None:
                        raise
                    raise ValidationError(
                        "an invoice line is not valid",
                        _prefixed(f"invoice.lines.{index}", flatten_messages(messages)),
                    ) from None
        else:
            session_type = lookups.get_type(
                session, booking.get("session_type_id"), field="session.session_type_id"
            )
            if not session_type.price_item_ids:
                raise ValidationError(
                    f"session type '{session_type.name}' has no price-list items: give the invoice's lines",
                    {"invoice.lines": "required: the type lists no items"},
                )
    return booking


def _failure(step, exc, undone):
    if isinstance(exc, DomainError):
        code, status, message, fields = exc.code, exc.http_status, exc.message, _prefixed(step, exc.fields)
    else:
        code, status, message, fields = "internal", 500, f"{type(exc).__name__}: {exc}"[:500], {}
    notes = []
    if undone.get("invoice_id"):
        notes.append(
            f"invoice {undone['invoice_id']} voided"
            if undone.get("invoice_voided")
            else f"invoice {undone['invoice_id']} could NOT be voided: {undone.get('invoice_error')}"
        )
    if undone.get("session_id"):
        notes.append(f"session {undone['session_id']} cancelled")
    text = f"the {step} step failed: {message}"
    if notes:
        text += "; undone: " + ", ".join(notes)
    fields.setdefault("step", step)
    return {
        "ok": False,
        "status": status,
        "error": {"code": code, "message": text, "fields": fields, "step": step, "undone": undone},
    }


class Wizard:
    """One run. ``remote`` does the other services' part: ``create_invoice(payload)``,
    ``void_invoice(id)``, ``get_invoice(id)``, ``find_session_invoice(session_id)``,
    ``create_payment(payload, idempotency_key)``, ``get_payment(id)``."""

    def __init__(self, db, links, remote, user_id, tz_name, stale_seconds=120):
        self.db = db
        self.links = links
        self.remote = remote
        self.user_id = user_id
        self.tz_name = tz_name
        self.stale_seconds = stale_seconds

    def _commit(self):
        self.db.session.commit()

    def _claim(self, key, digest):
        """The run for ``key``: a stored answer, a 409 while another request works on it, or
        a claimed (new or stale) run to work on."""
        session = self.db.session
        run = session.scalar(select(WizardRun).where(WizardRun.idempotency_key == key))
        if run is None:
            run = WizardRun(
                idempotency_key=key,
                request_hash=digest,
                status="running",
                user_id=self.user_id,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
            try:
                with session.begin_nested():
                    session.add(run)
                    session.flush()
            except IntegrityError:
                raise Conflict(
                    "a request with this Idempotency-Key is being processed; retry shortly",
                    {"Idempotency-Key": "in progress"},
                ) from None
            self._commit()
            return run, None
        if run.request_hash != digest:
            raise Conflict(
                "this Idempotency-Key was used for a different request",
                {"Idempotency-Key": "used for a different request"},
            )
        if run.status != "running":
            return run, dict(run.response or {}, replayed=True)
        if (utcnow() - run.updated_at).total_seconds() < self.stale_seconds:
            raise Conflict(
                "a request with this Idempotency-Key is being processed; retry shortly",
                {"Idempotency-Key": "in progress"},
            )
        run.updated_at = utcnow()
        self._commit()
        return run, None

    def _finish(self, run, answer):
        if run is not None:
            run.status = "succeeded" if answer["ok"] else "failed"
            run.response = answer
            run.updated_at = utcnow()
        return answer

    def _undo(self, run, made, step):
        undone = {"session_id": None, "invoice_id": None}
        if made.get("invoice"):
            invoice_id = made["invoice"]["id"]
            undone["invoice_id"] = invoice_id
            try:
                self.remote.void_invoice(invoice_id)
                undone["invoice_voided"] = True
            except Exception as exc:  # noqa: BLE001 - reported in the answer
                undone["invoice_voided"] = False
                undone["invoice_error"] = str(exc)[:300]
        if made.get("session"):
            session_id = made["session"]["id"]
            sessions.cancel_session(
                self.db,
                session_id,
                {"reason": f"scheduling wizard: the {step} step failed"},
                self.user_id,
                self.tz_name,
            )
            undone["session_id"] = session_id
        return undone

    def run(self, payload, idempotency_key=None):
        data = load(WizardInSchema(), payload)
        if idempotency_key is not None and not (
            isinstance(idempotency_key, str) and 0 < len(idempotency_key) <= IDEMPOTENCY_KEY_MAX
        ):
            raise ValidationError(
                f"Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_MAX} characters",
                {"Idempotency-Key": f"1 to {IDEMPOTENCY_KEY_MAX} characters"},
            )
        booking = _validate(self.db.session, data)
        run = None
        if idempotency_key is not None:
            run, stored = self._claim(idempotency_key, request_hash(payload))
            if stored is not None:
                return stored
        payment_key = f"wizard:{idempotency_key}" if idempotency_key else f"wizard:{uuid.uuid4()}"
        made = {"session": None, "invoice": None, "payment": None}

        # 1. the session
        if run is not None and run.session_id:
            made["session"] = sessions.get_session(self.db.session, run.session_id, self.tz_name)
        else:
            try:
                made["session"] = sessions.create_session(
                    self.db, booking, self.user_id, self.links, self.tz_name
                )
            except DomainError as exc:
                self.db.session.rollback()
                return self._finish(run, _failure("session", exc, {"session_id": None, "invoice_id": None}))
            if run is not None:
                run.session_id = made["session"]["id"]
                run.updated_at = utcnow()
        self._commit()

        # 2. the invoice
        if data.get("invoice") is not None:
            try:
                made["invoice"] = self._invoice(run, data, made["session"])
            except Exception as exc:  # noqa: BLE001 - any failure undoes the booking
                return self._finish(run, _failure("invoice", exc, self._undo(run, made, "invoice")))
            if run is not None:
                run.invoice_id = made["invoice"]["id"]
                run.updated_at = utcnow()
                self._commit()

        # 3. the payment
        if data.get("payment") is not None:
            payment = dict(data["payment"])
            payment["client_id"] = data["client_id"]
            if made["invoice"] is not None:
                payment["invoice_id"] = made["invoice"]["id"]
                payment.setdefault("amount", made["invoice"].get("balance"))
            try:
                if run is not None and run.payment_id:
                    made["payment"] = self.remote.get_payment(run.payment_id)
                else:
                    made["payment"] = self.remote.create_payment(payment, payment_key)
            except Exception as exc:  # noqa: BLE001 - any failure undoes the invoice and the booking
                return self._finish(run, _failure("payment", exc, self._undo(run, made, "payment")))
            if run is not None:
                run.payment_id = (made["payment"] or {}).get("id")

        answer = {
            "ok": True,
            "status": 201,
            "session": made["session"],
            "invoice": made["invoice"],
            "payment": made["payment"],
            "replayed": False,
        }
        return self._finish(run, answer)

    def _invoice(self, run, data, booked):
        if run is not None and run.invoice_id:
            return self.remote.get_invoice(run.invoice_id)
        if run is not None and run.session_id:
            existing = self.remote.find_session_invoice(
                booked["id"]
            )  # made by a run that died before recording it
            if existing is not None:
                return existing
        spec = data["invoice"]
        session_type = lookups.get_type(self.db.session, booked["session_type_id"])
        lines = spec.get("lines") or [{"item_id": item_id} for item_id in session_type.price_item_ids]
        invoice = {
            "client_id": data["client_id"],
            "session_id": booked["id"],
            "session_type_id": session_type.id,
            "lines": lines,
        }
        for field in INVOICE_FIELDS:
            if spec.get(field) is not None:
                value = spec[field]
                invoice[field] = value.isoformat() if hasattr(value, "isoformat") else value
        return self.remote.create_invoice(invoice)
