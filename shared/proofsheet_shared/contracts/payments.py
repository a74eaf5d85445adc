"""The payments API: payments and refunds, payment methods, the payment tools, batches,
status notes and the payments settings (the security preference).

Money is an integer in the currency's smallest unit (``1250`` = 12.50), as in the invoicing
contract: a float, a string or a boolean where an amount belongs is refused naming the field.
What the service computes (``change_due``, ``status``, ``payment_number``, ...) is refused if
sent. A card number is never accepted: ``card_last4`` is exactly four digits, and a longer
value is refused without being echoed back.
"""
import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..schemas import PageArgs, Text
from .invoicing import Computed, Money, UnappliedDepositSchema, WholeNumber

KINDS = ("payment", "refund")
METHOD_TYPES = ("cash", "check", "card", "stripe", "paypal", "other")
STATUSES = ("recorded", "future", "void")
CARD_TYPES = ("visa", "mastercard", "amex", "discover", "diners", "jcb", "unionpay", "other")
BATCH_MAX = 1000
LAST4 = re.compile(r"^[0-9]{4}$")
# which method type a type-specific field belongs to (the service checks it against the method)
TYPE_FIELDS = {
    "amount_tendered": "cash",
    "check_number": "check",
    "card_type": "card",
    "authorization_code": "card",
    "card_last4": "card",
}


def _id(**kwargs):
    kwargs.setdefault("allow_none", True)
    return WholeNumber(validate=validate.Range(min=1), **kwargs)


class CardLast4(fields.String):
    """The last four digits of a card; anything else is refused and never echoed back."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not LAST4.match(value.strip()):
            raise ValidationError("must be exactly the last 4 digits of the card (never the card number)")
        return value.strip()


# --- payment methods --------------------------------------------------------------------------

class PaymentMethodInSchema(Schema):
    name = Text(60, required=True)
    type = fields.String(required=True, validate=validate.OneOf(METHOD_TYPES),
                         metadata={"description": "cash, check, card (taken outside the system), stripe, "
                                                  "paypal or other"})
    active = fields.Boolean()
    sort_order = WholeNumber(validate=validate.Range(min=0, max=1_000_000))


class PaymentMethodOutSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    type = fields.String()
    active = fields.Boolean()
    sort_order = fields.Integer()


class PaymentMethodListArgs(Schema):
    active = fields.Boolean(load_default=None)


class PaymentMethodListSchema(Schema):
    items = fields.List(fields.Nested(PaymentMethodOutSchema))
    next_cursor = fields.String(allow_none=True)


# --- settings ---------------------------------------------------------------------------------

class PaymentSettingsSchema(Schema):
    require_credentials = fields.Boolean(metadata={
        "description": "the security preference: creating, changing or deleting payments and refunds "
                       "needs the payments.modify permission and the user's password again "
                       "(X-Confirm-Password)"})
    payment_number_prefix = fields.String(validate=validate.Length(max=10), allow_none=True)
    next_payment_number = WholeNumber(validate=validate.Range(min=1, max=10**12))


# --- payments and refunds ---------------------------------------------------------------------

class _PaymentFields(Schema):
    """What a payment or refund may carry, create and change alike."""
    payment_date = fields.Date(metadata={"description": "default: today in the studio's time zone"})
    amount = Money(minimum=1)
    method_id = _id(allow_none=False)
    amount_tendered = Money(minimum=1, allow_none=True, metadata={
        "description": "cash: what the client handed over (default: the amount)"})
    check_number = Text(30, allow_none=True, metadata={"description": "check: required"})
    card_type = fields.String(allow_none=True, validate=validate.OneOf(CARD_TYPES),
                              metadata={"description": "card: required"})
    authorization_code = Text(64, allow_none=True,
                              metadata={"description": "card: the processor's authorization code (required)"})
    card_last4 = CardLast4(allow_none=True, metadata={"description": "card: optional, exactly 4 digits"})
    refundable = fields.Boolean(metadata={"description": "for the studio's knowledge only"})
    refundable_until = fields.Date(allow_none=True, metadata={"description": "required when refundable"})
    due_date = fields.Date(allow_none=True, metadata={"description": "a future payment's due date"})
    notes = Text(2000, allow_none=True)
    currency = fields.String(metadata={"description": "optional; must be the studio's currency"})
    # computed by the service: refused if sent
    id = Computed()
    payment_number = Computed()
    status = Computed()
    change_due = Computed()
    method_type = Computed()
    method_name = Computed()
    version = Computed()
    processor = Computed()

    @validates_schema
    def _refundable(self, data, partial=False, **_):
        if data.get("refundable") and not data.get("refundable_until") and not partial:
            raise ValidationError("a refundable payment needs its refundable_until date", "refundable_until")
        if data.get("refundable") is False and data.get("refundable_until"):
            raise ValidationError("only a refundable payment has a refundable_until date", "refundable_until")


class PaymentInSchema(_PaymentFields):
    """Create a payment (``kind: payment``, optionally against an invoice; without one it is a
    customer deposit) or a refund (``kind: refund``, only from a credit memo)."""
    kind = fields.String(load_default="payment", validate=validate.OneOf(KINDS))
    client_id = _id(metadata={"description": "default: the invoice's or credit memo's client"})
    invoice_id = _id(metadata={"description": "none: a customer deposit"})
    credit_memo_id = _id(metadata={"description": "refunds: the credit memo refunded (required)"})
    amount = Money(minimum=1, required=True)
    method_id = _id(required=True, allow_none=False)
    future = fields.Boolean(metadata={"description": "a payment promised for due_date: it does not count "
                                                     "as paid until POST /payments/{id}/receive"})
    allow_overpayment = fields.Boolean(metadata={"description": "more than the invoice's open balance: the "
                                                                "excess is recorded as a deposit"})

    @validates_schema
    def _kind_rules(self, data, **_):
        refund = data.get("kind") == "refund"
        if refund:
            if data.get("credit_memo_id") is None:
                raise ValidationError("a refund is made from a credit memo", "credit_memo_id")
            for name in ("invoice_id", "future", "due_date", "refundable", "refundable_until",
                         "allow_overpayment", "amount_tendered"):
                if data.get(name) not in (None, False):
                    raise ValidationError("not for refunds", name)
        elif data.get("credit_memo_id") is not None:
            raise ValidationError("only refunds name a credit memo", "credit_memo_id")
        if data.get("future"):
            if not data.get("due_date"):
                raise ValidationError("a future payment needs its due_date", "due_date")
            if data.get("allow_overpayment"):
                raise ValidationError("a future payment cannot exceed the open balance", "allow_overpayment")
        elif data.get("due_date"):
            raise ValidationError("only a future payment has a due_date", "due_date")
        if data.get("client_id") is None and data.get("invoice_id") is None and not refund:
            raise ValidationError("a deposit (a payment without an invoice) needs its client_id", "client_id")


class PaymentPatchSchema(_PaymentFields):
    """Change a payment or refund (PATCH): the kind and credit memo never change; a future
    payment becomes received with POST /payments/{id}/receive."""
    client_id = _id(allow_none=False)
    invoice_id = _id(metadata={"description": "null: make it a deposit"})
    kind = Computed()
    credit_memo_id = Computed(metadata={"description": "fixed: a refund stays with its credit memo"})
    future = Computed(metadata={"description": "fixed: use POST /payments/{id}/receive"})


class ReceiveSchema(Schema):
    payment_date = fields.Date(metadata={"description": "the day it came in; default: today"})
    allow_overpayment = fields.Boolean(metadata={"description": "the excess over the open balance "
                                                                "becomes a deposit"})


class VoidSchema(Schema):
    reason = Text(500, allow_none=True)


class PaymentOutSchema(Schema):
    id = fields.Integer()
    payment_number = fields.String()
    kind = fields.String(metadata={"description": "payment or refund"})
    status = fields.String(metadata={"description": "recorded, future (promised, not received) or void"})
    client_id = fields.Integer()
    invoice_id = fields.Integer(allow_none=True, metadata={"description": "none: a customer deposit"})
    credit_memo_id = fields.Integer(allow_none=True)
    payment_date = fields.Date()
    amount = fields.Integer()
    currency = fields.String()
    method_id = fields.Integer()
    method_type = fields.String()
    method_name = fields.String()
    processor = fields.String(metadata={"description": "the processor step that took it (manual)"})
    amount_tendered = fields.Integer(allow_none=True)
    change_due = fields.Integer(allow_none=True, metadata={"description": "amount_tendered - amount"})
    check_number = fields.String(allow_none=True)
    card_type = fields.String(allow_none=True)
    authorization_code = fields.String(allow_none=True)
    card_last4 = fields.String(allow_none=True)
    refundable = fields.Boolean()
    refundable_until = fields.Date(allow_none=True)
    future = fields.Boolean(metadata={"description": "promised and not yet received"})
    due_date = fields.Date(allow_none=True)
    received_at = fields.DateTime(allow_none=True)
    overpayment_of = fields.Integer(allow_none=True, metadata={
        "description": "a deposit made of the excess of this payment (allow_overpayment)"})
    notes = fields.String(allow_none=True)
    version = fields.Integer()
    created_at = fields.DateTime()
    created_by = fields.Integer(allow_none=True)
    updated_at = fields.DateTime()
    voided_at = fields.DateTime(allow_none=True)
    void_reason = fields.String(allow_none=True)


class PaymentCreatedSchema(PaymentOutSchema):
    deposit = fields.Nested(PaymentOutSchema, allow_none=True, metadata={
        "description": "allow_overpayment: the excess over the open balance, recorded as a deposit"})
    unapplied_deposits = fields.List(fields.Nested(UnappliedDepositSchema), allow_none=True, metadata={
        "description": "notice: the client's deposits not yet applied to any invoice"})


class PaymentListArgs(PageArgs):
    client_id = fields.Integer(load_default=None)
    invoice_id = fields.Integer(load_default=None)
    credit_memo_id = fields.Integer(load_default=None)
    method_id = fields.Integer(load_default=None)
    kind = fields.String(load_default=None, validate=validate.OneOf(KINDS))
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    date_from = fields.Date(load_default=None, data_key="from", metadata={"description": "payment date"})
    date_to = fields.Date(load_default=None, data_key="to")
    future = fields.Boolean(load_default=None, metadata={"description": "true: promised, not yet received"})
    due_before = fields.Date(load_default=None, metadata={"description": "future payments due on or "
                                                                         "before this date"})

    @validates_schema
    def _range(self, data, **_):
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise ValidationError("'to' is before 'from'", "to")


class PaymentPageSchema(Schema):
    items = fields.List(fields.Nested(PaymentOutSchema))
    next_cursor = fields.String(allow_none=True)


class ClientPaymentsArgs(PageArgs):
    kind = fields.String(load_default=None, validate=validate.OneOf(KINDS))


class ClientPaymentsSchema(PaymentPageSchema):
    client_id = fields.Integer()
    currency = fields.String()
    paid = fields.Integer(metadata={"description": "every counted payment of the client"})
    refunded = fields.Integer()


class PaymentBatchSchema(Schema):
    payments = fields.List(fields.Nested(PaymentInSchema), required=True,
                           validate=validate.Length(min=1, max=BATCH_MAX))


class PaymentBatchOutSchema(Schema):
    count = fields.Integer()
    total = fields.Integer(metadata={"description": "the sum of the amounts recorded"})
    items = fields.List(fields.Nested(PaymentOutSchema))


class PaymentNoteSchema(Schema):
    id = fields.Integer()
    payment_id = fields.Integer()
    at = fields.DateTime()
    user_id = fields.Integer(allow_none=True)
    action = fields.String(metadata={"description": "created, updated, received, voided"})
    changes = fields.List(fields.Dict(), metadata={"description": "[{field, from, to}]"})
    message = fields.String()


class PaymentNoteListSchema(Schema):
    items = fields.List(fields.Nested(PaymentNoteSchema))
    next_cursor = fields.String(allow_none=True)


class AmountForArgs(Schema):
    invoice_id = fields.Integer(required=True, validate=validate.Range(min=1))
    percent = fields.Decimal(load_default=None, places=None, allow_nan=False, metadata={
        "description": "a percentage of the invoice total (up to 2 decimals), rounded half up to the cent"})
    full_balance = fields.Boolean(load_default=None, metadata={"description": "true: the whole open balance"})

    @validates_schema
    def _one(self, data, **_):
        if (data.get("percent") is None) == (not data.get("full_balance")):
            raise ValidationError("give exactly one of percent and full_balance=true", "percent")
        percent = data.get("percent")
        if percent is not None:
            if percent <= 0 or percent > 100:
                raise ValidationError("must be more than 0 and at most 100", "percent")
            if (percent * 100) != (percent * 100).to_integral_value():
                raise ValidationError("at most 2 decimals", "percent")


class AmountForSchema(Schema):
    invoice_id = fields.Integer()
    currency = fields.String()
    total = fields.Integer()
    balance = fields.Integer(metadata={"description": "the open balance payments would accept now"})
    percent = fields.String(allow_none=True)
    amount = fields.Integer()
