"""Invoices: create, change, void, read, list.

Amounts are computed here from the lines (see :mod:`invoicing.money` for the rounding), never
taken from the request. The invoice number is taken last, just before the insert, from the
settings row (:mod:`invoicing.numbering`), so its lock is held only for the insert and commit.
"""
import datetime as dt

from sqlalchemy import select

from proofsheet_shared.contracts.invoicing import InvoiceInSchema, InvoiceListArgs
from proofsheet_shared.errors import NotFound, Unprocessable, ValidationError
from proofsheet_shared.schemas import decode_cursor, encode_cursor, load
from proofsheet_shared.types import utcnow

from . import coupons, ledger, money
from .catalog import get_settings, get_tax_rate
from .models import OPEN, PAID, PROMOTIONAL, VOID, Invoice, InvoiceLine, PriceListItem
from .numbering import allocate_number
from .serialize import invoice_to_dict


def check_currency(data, currency):
    given = data.get("currency")
    if given is not None and given.lower() != currency:
        raise Unprocessable(f"the studio's currency is {currency}; amounts cannot be in {given}",
                            {"currency": f"must be {currency}"})


def resolve_lines(session, lines, field="lines"):
    """Lines as given, with their items' defaults filled in: ``[(line dict, item or None)]``."""
    ids = {line["item_id"] for line in lines if line.get("item_id") is not None}
    items = {}
    if ids:
        items = {i.id: i for i in session.scalars(select(PriceListItem).where(PriceListItem.id.in_(ids)))}
    resolved = []
    for index, line in enumerate(lines):
        item = None
        if line.get("item_id") is not None:
            item = items.get(line["item_id"])
            path = f"{field}.{index}.item_id"
            if item is None:
                raise NotFound(f"price-list item {line['item_id']} does not exist", {path: "not found"})
            if item.item_type == PROMOTIONAL:
                raise Unprocessable(f"item {item.code} is a promotion: apply it with coupon_code",
                                    {path: "promotional items are applied with coupon_code"})
            if not item.active:
                raise Unprocessable(f"item {item.code} is no longer sold", {path: "inactive item"})
        default_taxable = item.taxable if item else True
        resolved.append({
            "item_id": item.id if item else None,
            "description": line.get("description") or item.name,
            "quantity": line.get("quantity", 1),
            "unit_price": line["unit_price"] if line.get("unit_price") is not None else item.price,
            "taxable": line["taxable"] if line.get("taxable") is not None else default_taxable,
        })
    return resolved


def tax_rate_for(session, data, default_rate_id, field="tax_rate_id"):
    """``(tax_rate_id, basis points)``: the rate named in ``data`` (null: no tax), else the default."""
    if field in data:
        rate_id = data[field]
        if rate_id is None:
            return None, 0
        rate = get_tax_rate(session, rate_id, field=field)
        if not rate.active:
            raise Unprocessable(f"tax rate {rate.name} is not active", {field: "inactive tax rate"})
        return rate.id, rate.rate_basis_points
    if default_rate_id is None:
        return None, 0
    rate = get_tax_rate(session, default_rate_id, field=field)
    return rate.id, rate.rate_basis_points


def write_lines(target, model, resolved, totals):
    target.lines = [model(position=index, item_id=line["item_id"], description=line["description"],
                          quantity=line["quantity"], unit_price=line["unit_price"], taxable=line["taxable"],
                          amount=amounts.amount, discount=amounts.discount, tax=amounts.tax,
                          total=amounts.total)
                    for index, (line, amounts) in enumerate(zip(resolved, totals.lines))]


def _line_tuples(resolved):
    return [(line["quantity"], line["unit_price"], line["taxable"]) for line in resolved]


def _existing_lines(invoice):
    return [{"item_id": line.item_id, "description": line.description, "quantity": line.quantity,
             "unit_price": line.unit_price, "taxable": line.taxable} for line in invoice.lines]


def _apply_totals(invoice, totals):
    invoice.subtotal, invoice.discount = totals.subtotal, totals.discount
    invoice.tax, invoice.total = totals.tax, totals.total


def get_invoice_row(session, invoice_id, field="id", lock=False):
    stmt = select(Invoice).where(Invoice.id == invoice_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    invoice = session.scalar(stmt)
    if invoice is None:
        raise NotFound(f"invoice {invoice_id} does not exist", {field: "not found"})
    return invoice


def with_notice(session, invoice):
    result = invoice_to_dict(invoice)
    result["unapplied_deposits"] = ledger.unapplied_deposits(session, invoice.client_id)
    return result


def create_invoice(db, payload, user_id, today, currency, client_lookup):
    """``client_lookup(client_id)`` returns the client or raises NotFound naming ``client_id``."""
    session = db.session
    data = load(InvoiceInSchema(), payload)
    if not data.get("lines"):
        raise ValidationError("an invoice needs at least one line", {"lines": "at least one line is needed"})
    check_currency(data, currency)
    resolved = resolve_lines(session, data["lines"])
    settings = get_settings(session)
    rate_id, rate_bp = tax_rate_for(session, data, settings.default_tax_rate_id)
    invoice_date = data.get("invoice_date") or today
    due_date = data.get("due_date") or invoice_date + dt.timedelta(days=settings.default_due_days)
    if due_date < invoice_date:
        raise ValidationError("the due date is before the invoice date",
                              {"due_date": "before the invoice date"})
    subtotal = sum(q * p for q, p, _ in _line_tuples(resolved))
    coupon = None
    discount = 0
    if data.get("coupon_code"):
        coupon = coupons.find_coupon(session, data["coupon_code"])
        coupons.check_coupon(coupon, data["coupon_code"], invoice_date, subtotal)
        discount = money.coupon_discount(subtotal, coupon.percent_off, coupon.amount_off)
    totals = money.compute(_line_tuples(resolved), rate_bp, discount)
    client_lookup(data["client_id"])
    # the locks: the coupon's use, then the number; both held until the commit
    if coupon is not None:
        coupons.claim_use(session, coupon, data["coupon_code"])
    now = utcnow()
    invoice = Invoice(invoice_number=allocate_number(session), client_id=data["client_id"],
                      session_id=data.get("session_id"), session_type_id=data.get("session_type_id"),
                      invoice_date=invoice_date, due_date=due_date, status=OPEN, currency=currency,
                      tax_rate_id=rate_id, tax_rate_basis_points=rate_bp,
                      coupon_item_id=coupon.id if coupon else None,
                      coupon_code=coupon.coupon_code if coupon else None, paid=0, refunded=0, credited=0,
                      notes=data.get("notes"), created_at=now, updated_at=now, created_by=user_id,
                      updated_by=user_id)
    _apply_totals(invoice, totals)
    invoice.balance = invoice.total
    invoice.status = PAID if invoice.balance <= 0 else OPEN
    write_lines(invoice, InvoiceLine, resolved, totals)
    session.add(invoice)
    session.flush()
    result = invoice_to_dict(invoice)
    db.publish("invoice_created", {"invoice": result})
    if invoice.status == PAID:
        db.publish("invoice_paid", {"invoice": result})
    result["unapplied_deposits"] = ledger.unapplied_deposits(session, invoice.client_id)
    return result


MONEY_FIELDS = ("lines", "coupon_code", "tax_rate_id")


def update_invoice(db, invoice_id, payload, user_id, today, currency, client_lookup):
    session = db.session
    data = load(InvoiceInSchema(), payload, partial=True)
    check_currency(data, currency)
    invoice = get_invoice_row(session, invoice_id, lock=True)
    if invoice.status == VOID:
        raise Unprocessable(f"invoice {invoice.invoice_number} is void and cannot be changed",
                            {"status": "void"})
    before = invoice_to_dict(invoice)
    money_changes = [f for f in MONEY_FIELDS if f in data]
    if "client_id" in data and data["client_id"] != invoice.client_id:
        money_changes.append("client_id")
    if money_changes:
        why = ledger.money_applied(session, invoice)
        if why:
            raise Unprocessable(f"invoice {invoice.invoice_number} cannot be changed: {why}",
                                {field: why for field in money_changes})
    if "client_id" in money_changes:
        client_lookup(data["client_id"])
        invoice.client_id = data["client_id"]
    for field in ("session_id", "session_type_id", "invoice_date", "due_date", "notes"):
        if field in data:
            setattr(invoice, field, data[field])
    if invoice.due_date < invoice.invoice_date:
        raise ValidationError("the due date is before the invoice date",
                              {"due_date": "before the invoice date"})
    if any(f in data for f in MONEY_FIELDS):
        _recompute(session, invoice, data)
    invoice.updated_at, invoice.updated_by = utcnow(), user_id
    session.flush()
    ledger.refresh_invoice(session, invoice)
    after = invoice_to_dict(invoice)
    changed = sorted(k for k in after if after[k] != before[k] and k != "updated_at")
    ledger.announce(db, invoice, before["status"], changed, after)
    result = dict(after)
    result["unapplied_deposits"] = ledger.unapplied_deposits(session, invoice.client_id)
    return result


def _recompute(session, invoice, data):
    resolved = resolve_lines(session, data["lines"]) if "lines" in data else _existing_lines(invoice)
    if "tax_rate_id" in data:
        invoice.tax_rate_id, invoice.tax_rate_basis_points = tax_rate_for(session, data, None)
    subtotal = sum(q * p for q, p, _ in _line_tuples(resolved))
    coupon = session.get(PriceListItem, invoice.coupon_item_id) if invoice.coupon_item_id else None
    if "coupon_code" in data:
        code = data["coupon_code"]
        wanted = coupons.find_coupon(session, code) if code else None
        if wanted is not None and coupon is not None and wanted.id == coupon.id:
            coupons.check_coupon(coupon, code, invoice.invoice_date, subtotal, count_uses=False)
        else:
            if wanted is not None:
                coupons.check_coupon(wanted, code, invoice.invoice_date, subtotal)
                coupons.claim_use(session, wanted, code)
            if coupon is not None:
                coupons.release_use(session, coupon.id)
            coupon = wanted
    elif coupon is not None:
        coupons.check_coupon(coupon, invoice.coupon_code, invoice.invoice_date, subtotal, count_uses=False)
    invoice.coupon_item_id = coupon.id if coupon else None
    invoice.coupon_code = coupon.coupon_code if coupon else None
    discount = money.coupon_discount(subtotal, coupon.percent_off, coupon.amount_off) if coupon else 0
    totals = money.compute(_line_tuples(resolved), invoice.tax_rate_basis_points, discount)
    if "lines" in data:
        invoice.lines.clear()
        session.flush()  # the old lines go before the new ones take their positions
        write_lines(invoice, InvoiceLine, resolved, totals)
    else:
        for line, amounts in zip(invoice.lines, totals.lines):
            line.amount, line.discount, line.tax, line.total = (amounts.amount, amounts.discount,
                                                                amounts.tax, amounts.total)
    _apply_totals(invoice, totals)


def void_invoice(db, invoice_id, user_id):
    """Void an invoice nothing has been paid or credited on. It keeps its number; its coupon
    use is given back. Voiding a void invoice changes nothing."""
    session = db.session
    invoice = get_invoice_row(session, invoice_id, lock=True)
    if invoice.status == VOID:
        return invoice_to_dict(invoice)
    why = ledger.money_applied(session, invoice)
    if why:
        raise Unprocessable(f"invoice {invoice.invoice_number} cannot be voided: {why}", {"status": why})
    if invoice.coupon_item_id:
        coupons.release_use(session, invoice.coupon_item_id)
    now = utcnow()
    invoice.voided_at, invoice.updated_at, invoice.updated_by = now, now, user_id
    ledger.refresh_invoice(session, invoice)
    result = invoice_to_dict(invoice)
    db.publish("invoice_voided", {"invoice": result})
    return result


def get_invoice(session, invoice_id):
    return with_notice(session, get_invoice_row(session, invoice_id))


def get_invoices(session, invoice_ids):
    """Several invoices with their lines, in the order asked (unknown ids left out)."""
    ids = [int(i) for i in invoice_ids][:1000]
    rows = {i.id: i for i in session.scalars(select(Invoice).where(Invoice.id.in_(ids)))}
    return [invoice_to_dict(rows[i]) for i in ids if i in rows]


def list_invoices(session, args):
    """Newest first; ``client_id``, ``status``, ``session_id``, ``from``/``to`` (invoice date) and
    ``q`` (invoice number prefix) narrow it. Lines are left out of list items."""
    args = load(InvoiceListArgs(), args or {})
    stmt = select(Invoice)
    for field in ("client_id", "status", "session_id"):
        if args[field] is not None:
            stmt = stmt.where(getattr(Invoice, field) == args[field])
    if args["date_from"] is not None:
        stmt = stmt.where(Invoice.invoice_date >= args["date_from"])
    if args["date_to"] is not None:
        stmt = stmt.where(Invoice.invoice_date <= args["date_to"])
    if args["q"]:
        prefix = args["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(Invoice.invoice_number.like(prefix, escape="\\"))
    after = decode_cursor(args["cursor"], 1)
    if after is not None:
        stmt = stmt.where(Invoice.id < after[0])
    rows = session.scalars(stmt.order_by(Invoice.id.desc()).limit(args["limit"] + 1)).all()
    more = len(rows) > args["limit"]
    rows = rows[:args["limit"]]
    return {"items": [invoice_to_dict(r, lines=False) for r in rows],
            "next_cursor": encode_cursor([rows[-1].id]) if more and rows else None}
