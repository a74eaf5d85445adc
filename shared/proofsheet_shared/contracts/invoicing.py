"""The invoicing API: tax rates, price lists and items (promotions), invoices, credit memos,
deposits, balances, reports and the invoicing settings.

Money is an integer in the currency's smallest unit (``1250`` = 12.50): a float, a string or
a boolean where an amount belongs is refused with a message naming the field. Amounts an
invoice or credit memo computes (subtotal, discount, tax, total, paid, ...) are never taken
from a request; sending one is a validation error naming it.
"""
import re

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from ..schemas import PageArgs, Text

MONEY_MAX = 10**12  # ten billion in major units: far beyond any studio invoice
QUANTITY_MAX = 100_000
BASIS_POINTS_MAX = 10_000
COUPON_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
ITEM_TYPES = ("standard", "promotional")
INVOICE_STATUSES = ("open", "paid", "void")


class WholeNumber(fields.Integer):
    """An integer given as a JSON integer: no floats (even 12.0), strings or booleans."""

    what = "a whole number"

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int):
            kind = "a decimal number" if isinstance(value, float) else f"a {type(value).__name__}"
            raise ValidationError(f"must be {self.what}, not {kind}")
        return value


class Money(WholeNumber):
    """An amount in the currency's smallest unit, never negative unless ``minimum`` says so."""

    what = "an integer amount in cents (1250 = 12.50)"

    def __init__(self, minimum=0, **kwargs):
        kwargs.setdefault("validate", validate.Range(min=minimum, max=MONEY_MAX,
                                                     error=f"must be between {minimum} and {MONEY_MAX}"))
        super().__init__(**kwargs)


class Computed(fields.Field):
    """A field the service computes: present in a request only to be refused."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {"description": "computed by the service: refused if sent"})
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        raise ValidationError("computed by the service; do not send it")


def _id(**kwargs):
    kwargs.setdefault("allow_none", True)
    return WholeNumber(validate=validate.Range(min=1), **kwargs)


# --- tax rates and settings -----------------------------------------------------------------

class TaxRateInSchema(Schema):
    name = Text(100, required=True)
    rate_basis_points = WholeNumber(required=True, validate=validate.Range(min=0, max=BASIS_POINTS_MAX),
                                    metadata={"description": "825 = 8.25 %"})
    active = fields.Boolean()


class TaxRateOutSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    rate_basis_points = fields.Integer()
    active = fields.Boolean()


class InvoiceSettingsSchema(Schema):
    invoice_number_prefix = fields.String(validate=validate.Length(max=10), allow_none=True)
    next_invoice_number = WholeNumber(validate=validate.Range(min=1, max=10**12))
    default_tax_rate_id = _id(metadata={"description": "the rate invoices get unless they name one"})
    default_due_days = WholeNumber(validate=validate.Range(min=0, max=3650))


# --- price lists, groups, items, promotions -----------------------------------------------

class PriceListInSchema(Schema):
    name = Text(100, required=True)
    active = fields.Boolean()


class PriceListGroupInSchema(Schema):
    name = Text(100, required=True)
    sort_order = WholeNumber(validate=validate.Range(min=0, max=1_000_000))


class PriceListGroupOutSchema(Schema):
    id = fields.Integer()
    price_list_id = fields.Integer()
    name = fields.String()
    sort_order = fields.Integer()


class PriceListOutSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    active = fields.Boolean()
    groups = fields.List(fields.Nested(PriceListGroupOutSchema))


class PromotionSchema(Schema):
    coupon_code = Text(40, required=True, metadata={"description": "letters, digits, '-' and '_'; "
                                                                   "matched without regard to case"})
    percent_off = WholeNumber(allow_none=True, validate=validate.Range(min=1, max=100),
                              metadata={"description": "a whole percent; or amount_off"})
    amount_off = Money(minimum=1, allow_none=True)
    starts_on = fields.Date(allow_none=True)
    ends_on = fields.Date(allow_none=True)
    max_uses = WholeNumber(allow_none=True, validate=validate.Range(min=1, max=10**9),
                           metadata={"description": "invoices that may use it; null: no limit"})
    min_subtotal = Money(load_default=0, metadata={"description": "line subtotal needed before discount"})

    @validates("coupon_code")
    def _code(self, value, **_):
        if not COUPON_CODE.match(value):
            raise ValidationError("1-40 letters, digits, '-' or '_'")

    @validates_schema
    def _rules(self, data, **_):
        if (data.get("percent_off") is None) == (data.get("amount_off") is None):
            raise ValidationError("give exactly one of percent_off and amount_off", "percent_off")
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            raise ValidationError("ends before it starts", "ends_on")


class PromotionOutSchema(Schema):
    coupon_code = fields.String()
    percent_off = fields.Integer(allow_none=True)
    amount_off = fields.Integer(allow_none=True)
    starts_on = fields.Date(allow_none=True)
    ends_on = fields.Date(allow_none=True)
    max_uses = fields.Integer(allow_none=True)
    min_subtotal = fields.Integer()
    uses = fields.Integer(metadata={"description": "invoices that have used it"})


class PriceListItemInSchema(Schema):
    price_list_id = _id(required=True, allow_none=False)
    group_id = _id()
    code = Text(40, required=True)
    name = Text(200, required=True)
    price = Money()
    taxable = fields.Boolean()
    item_type = fields.String(validate=validate.OneOf(ITEM_TYPES))
    promotion = fields.Nested(PromotionSchema, allow_none=True)
    active = fields.Boolean()

    @validates_schema
    def _promotion_matches_type(self, data, partial=False, **_):
        if partial:
            return  # the service checks the item as it will be after the change
        promotional = data.get("item_type", "standard") == "promotional"
        if promotional and not data.get("promotion"):
            raise ValidationError("a promotional item needs its promotion", "promotion")
        if not promotional and data.get("promotion"):
            raise ValidationError("only promotional items carry a promotion", "promotion")


class PriceListItemOutSchema(Schema):
    id = fields.Integer()
    price_list_id = fields.Integer()
    group_id = fields.Integer(allow_none=True)
    code = fields.String()
    name = fields.String()
    price = fields.Integer()
    taxable = fields.Boolean()
    item_type = fields.String()
    promotion = fields.Nested(PromotionOutSchema, allow_none=True)
    active = fields.Boolean()


class PriceListItemArgs(PageArgs):
    price_list_id = fields.Integer(load_default=None)
    group_id = fields.Integer(load_default=None)
    item_type = fields.String(load_default=None, validate=validate.OneOf(ITEM_TYPES))
    active = fields.Boolean(load_default=None)
    q = Text(100, allow_none=True, load_default=None, metadata={"description": "code or name prefix"})


class PriceListItemPageSchema(Schema):
    items = fields.List(fields.Nested(PriceListItemOutSchema))
    next_cursor = fields.String(allow_none=True)


# --- invoices and credit memos ------------------------------------------------------------

class LineInSchema(Schema):
    item_id = _id(metadata={"description": "a price-list item: its name, price and taxable are the "
                                           "defaults of this line"})
    description = Text(500, allow_none=True)
    quantity = WholeNumber(load_default=1, validate=validate.Range(min=1, max=QUANTITY_MAX))
    unit_price = Money(allow_none=True)
    taxable = fields.Boolean(allow_none=True)

    @validates_schema
    def _item_or_text(self, data, **_):
        if data.get("item_id") is None:
            if not data.get("description"):
                raise ValidationError("a line needs an item_id or a description", "description")
            if data.get("unit_price") is None:
                raise ValidationError("a line without an item needs a unit_price", "unit_price")


class LineOutSchema(Schema):
    id = fields.Integer()
    position = fields.Integer()
    item_id = fields.Integer(allow_none=True)
    description = fields.String()
    quantity = fields.Integer()
    unit_price = fields.Integer()
    taxable = fields.Boolean()
    amount = fields.Integer(metadata={"description": "quantity × unit_price"})
    discount = fields.Integer(metadata={"description": "this line's share of the coupon discount"})
    tax = fields.Integer(metadata={"description": "(amount - discount) × rate, half-up to the cent"})
    total = fields.Integer(metadata={"description": "amount - discount + tax"})


class InvoiceInSchema(Schema):
    """Create, or PATCH (partial). Amounts are computed by the service."""
    client_id = _id(required=True, allow_none=False)
    session_id = _id()
    session_type_id = _id(metadata={"description": "the session's type, for the services report"})
    invoice_date = fields.Date(metadata={"description": "default: today in the studio's time zone"})
    due_date = fields.Date(metadata={"description": "default: invoice date + default_due_days"})
    lines = fields.List(fields.Nested(LineInSchema), validate=validate.Length(min=1, max=500))
    coupon_code = Text(40, allow_none=True, metadata={"description": "a promotional item's coupon; "
                                                                     "null removes it"})
    tax_rate_id = _id(metadata={"description": "default: the settings' default_tax_rate_id"})
    notes = Text(5000, allow_none=True)
    currency = fields.String(metadata={"description": "optional; must be the studio's currency"})
    # what the service computes: refused if sent
    invoice_number = Computed()
    status = Computed()
    subtotal = Computed()
    discount = Computed()
    tax = Computed()
    total = Computed()
    paid = Computed()
    refunded = Computed()
    credited = Computed()
    balance = Computed()

    @validates_schema
    def _dates(self, data, **_):
        if data.get("invoice_date") and data.get("due_date") and data["due_date"] < data["invoice_date"]:
            raise ValidationError("the due date is before the invoice date", "due_date")


class UnappliedDepositSchema(Schema):
    payment_id = fields.Integer()
    amount = fields.Integer()


class InvoiceOutSchema(Schema):
    id = fields.Integer()
    invoice_number = fields.String()
    client_id = fields.Integer()
    session_id = fields.Integer(allow_none=True)
    session_type_id = fields.Integer(allow_none=True)
    invoice_date = fields.Date()
    due_date = fields.Date()
    status = fields.String(metadata={"description": "open, paid or void"})
    currency = fields.String()
    tax_rate_id = fields.Integer(allow_none=True)
    tax_rate_basis_points = fields.Integer()
    coupon_code = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(LineOutSchema))
    subtotal = fields.Integer()
    discount = fields.Integer()
    tax = fields.Integer()
    total = fields.Integer()
    paid = fields.Integer(metadata={"description": "payments and deposits applied, less refunds"})
    refunded = fields.Integer()
    credited = fields.Integer(metadata={"description": "credit memos against this invoice"})
    balance = fields.Integer(metadata={"description": "total - paid - credited (void: -paid - credited)"})
    notes = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    voided_at = fields.DateTime(allow_none=True)
    unapplied_deposits = fields.List(fields.Nested(UnappliedDepositSchema), metadata={
        "description": "notice: the client's deposits not yet applied to any invoice"})


class InvoiceListArgs(PageArgs):
    client_id = fields.Integer(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(INVOICE_STATUSES))
    session_id = fields.Integer(load_default=None)
    date_from = fields.Date(load_default=None, data_key="from", metadata={"description": "invoice date"})
    date_to = fields.Date(load_default=None, data_key="to")
    q = Text(40, allow_none=True, load_default=None, metadata={"description": "invoice number prefix"})


class InvoicePageSchema(Schema):
    items = fields.List(fields.Nested(InvoiceOutSchema))
    next_cursor = fields.String(allow_none=True)


class InvoicePrintArgs(Schema):
    ids = fields.String(required=True, metadata={"description": "invoice ids separated by commas (≤ 200)"})


class CreditMemoInSchema(Schema):
    client_id = _id(required=True, allow_none=False)
    invoice_id = _id()
    memo_date = fields.Date(metadata={"description": "default: today in the studio's time zone"})
    lines = fields.List(fields.Nested(LineInSchema), required=True, validate=validate.Length(min=1, max=500))
    tax_rate_id = _id(metadata={"description": "default: the invoice's rate, else the default rate"})
    notes = Text(5000, allow_none=True)
    currency = fields.String()
    subtotal = Computed()
    tax = Computed()
    total = Computed()
    refunded = Computed()
    remaining = Computed()


class CreditMemoOutSchema(Schema):
    id = fields.Integer()
    client_id = fields.Integer()
    invoice_id = fields.Integer(allow_none=True)
    memo_date = fields.Date()
    currency = fields.String()
    tax_rate_id = fields.Integer(allow_none=True)
    tax_rate_basis_points = fields.Integer()
    lines = fields.List(fields.Nested(LineOutSchema))
    subtotal = fields.Integer()
    tax = fields.Integer()
    total = fields.Integer()
    refunded = fields.Integer()
    remaining = fields.Integer(metadata={"description": "what may still be refunded"})
    notes = fields.String(allow_none=True)
    created_at = fields.DateTime()


class CreditMemoListArgs(PageArgs):
    client_id = fields.Integer(load_default=None)
    invoice_id = fields.Integer(load_default=None)


class CreditMemoPageSchema(Schema):
    items = fields.List(fields.Nested(CreditMemoOutSchema))
    next_cursor = fields.String(allow_none=True)


# --- deposits, balances, reports ----------------------------------------------------------

class DepositApplySchema(Schema):
    invoice_id = _id(required=True, allow_none=False)
    amount = Money(minimum=1, required=True)


class DepositApplicationOutSchema(Schema):
    id = fields.Integer()
    payment_id = fields.Integer()
    invoice_id = fields.Integer()
    amount = fields.Integer()
    deposit_remaining = fields.Integer()
    invoice = fields.Nested(InvoiceOutSchema)


class ClientBalanceSchema(Schema):
    client_id = fields.Integer()
    currency = fields.String()
    invoiced = fields.Integer(metadata={"description": "totals of invoices that are not void"})
    paid = fields.Integer()
    credit = fields.Integer(metadata={"description": "credit memos: against invoices, and on account"})
    unapplied_deposits = fields.Integer()
    balance = fields.Integer(metadata={"description": "invoiced - paid - credit - unapplied_deposits"})


class ReportBalanceRowSchema(Schema):
    client_id = fields.Integer()
    balance = fields.Integer()


class BalancesReportSchema(Schema):
    currency = fields.String()
    items = fields.List(fields.Nested(ReportBalanceRowSchema))
    total = fields.Integer()


class AgingArgs(Schema):
    as_of = fields.Date(load_default=None, metadata={"description": "default: today (studio time zone)"})


class AgingTotalsSchema(Schema):
    current = fields.Integer()
    days_1_30 = fields.Integer()
    days_31_60 = fields.Integer()
    days_61_90 = fields.Integer()
    days_90_plus = fields.Integer()
    total = fields.Integer()


class AgingRowSchema(Schema):
    client_id = fields.Integer()
    current = fields.Integer()
    days_1_30 = fields.Integer()
    days_31_60 = fields.Integer()
    days_61_90 = fields.Integer()
    days_90_plus = fields.Integer()
    total = fields.Integer()


class AgingReportSchema(Schema):
    as_of = fields.Date()
    currency = fields.String()
    items = fields.List(fields.Nested(AgingRowSchema))
    totals = fields.Nested(AgingTotalsSchema)


class ServicesReportArgs(Schema):
    date_from = fields.Date(required=True, data_key="from")
    date_to = fields.Date(required=True, data_key="to")
    group_by = fields.String(load_default="item", validate=validate.OneOf(("item", "session_type")))
    client_id = fields.Integer(load_default=None)

    @validates_schema
    def _range(self, data, **_):
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise ValidationError("'to' is before 'from'", "to")


class ServicesRowSchema(Schema):
    client_id = fields.Integer()
    item_id = fields.Integer(allow_none=True)
    session_type_id = fields.Integer(allow_none=True)
    name = fields.String(allow_none=True)
    quantity = fields.Integer()
    invoiced = fields.Integer()
    paid = fields.Integer()


class ServicesReportSchema(Schema):
    currency = fields.String()
    items = fields.List(fields.Nested(ServicesRowSchema))
