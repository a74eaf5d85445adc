"""Credit memos: a client's credit, optionally against one invoice, and the only source of
refunds. Lines and totals are computed as an invoice's are (no coupon)."""
from sqlalchemy import select

from proofsheet_shared.contracts.invoicing import CreditMemoInSchema, CreditMemoListArgs
from proofsheet_shared.errors import NotFound, Unprocessable
from proofsheet_shared.schemas import decode_cursor, encode_cursor, load
from proofsheet_shared.types import utcnow

from . import ledger, money
from .catalog import get_settings
from .invoices import _line_tuples, check_currency, resolve_lines, tax_rate_for, write_lines
from .models import VOID, CreditMemo, CreditMemoLine
from .serialize import credit_memo_to_dict


def _money(cents):
    return f"{cents // 100}.{cents % 100:02d}"


def create_credit_memo(db, payload, user_id, today, currency, client_lookup):
    session = db.session
    data = load(CreditMemoInSchema(), payload)
    check_currency(data, currency)
    resolved = resolve_lines(session, data["lines"])
    invoice = None
    if data.get("invoice_id") is not None:
        invoices = ledger.lock_invoices(session, [data["invoice_id"]])
        if not invoices:
            raise NotFound(f"invoice {data['invoice_id']} does not exist", {"invoice_id": "not found"})
        invoice = invoices[0]
        if invoice.client_id != data["client_id"]:
            raise Unprocessable(f"invoice {invoice.invoice_number} belongs to client {invoice.client_id}",
                                {"invoice_id": "another client's invoice"})
        if invoice.status == VOID:
            raise Unprocessable(f"invoice {invoice.invoice_number} is void", {"invoice_id": "void invoice"})
    if "tax_rate_id" in data or invoice is None:
        rate_id, rate_bp = tax_rate_for(session, data, get_settings(session).default_tax_rate_id)
    else:
        rate_id, rate_bp = invoice.tax_rate_id, invoice.tax_rate_basis_points
    totals = money.compute(_line_tuples(resolved), rate_bp)
    if totals.total <= 0:
        raise Unprocessable("a credit memo must credit something", {"lines": "the total is 0"})
    if invoice is not None and totals.total > invoice.total - invoice.credited:
        left = invoice.total - invoice.credited
        raise Unprocessable(f"the memo ({_money(totals.total)}) credits more than invoice "
                            f"{invoice.invoice_number} has left to credit ({_money(left)})",
                            {"lines": f"the total is over the {_money(left)} left to credit on the invoice"})
    if invoice is None:
        client_lookup(data["client_id"])
    memo = CreditMemo(client_id=data["client_id"], invoice_id=invoice.id if invoice else None,
                      memo_date=data.get("memo_date") or today, currency=currency, tax_rate_id=rate_id,
                      tax_rate_basis_points=rate_bp, subtotal=totals.subtotal, tax=totals.tax,
                      total=totals.total,
                      refunded=0, notes=data.get("notes"), created_at=utcnow(), created_by=user_id)
    write_lines(memo, CreditMemoLine, resolved, totals)
    session.add(memo)
    session.flush()
    if invoice is not None:
        ledger.refresh_and_announce(db, [invoice])
    result = credit_memo_to_dict(memo, ledger.memo_remaining(session, memo))
    db.publish("credit_memo_created", {"credit_memo": result})
    return result


def get_memo_row(session, memo_id, field="id"):
    memo = session.get(CreditMemo, memo_id)
    if memo is None:
        raise NotFound(f"credit memo {memo_id} does not exist", {field: "not found"})
    return memo


def get_credit_memo(session, memo_id):
    memo = get_memo_row(session, memo_id)
    return credit_memo_to_dict(memo, ledger.memo_remaining(session, memo))


def refundable(session, memo_id):
    """What the payments service asks before recording a refund from this memo."""
    memo = get_memo_row(session, memo_id, field="credit_memo_id")
    return {"credit_memo_id": memo.id, "client_id": memo.client_id, "invoice_id": memo.invoice_id,
            "currency": memo.currency, "total": memo.total, "refunded": memo.refunded,
            "remaining": ledger.memo_remaining(session, memo)}


def list_credit_memos(session, args):
    args = load(CreditMemoListArgs(), args or {})
    stmt = select(CreditMemo)
    for field in ("client_id", "invoice_id"):
        if args[field] is not None:
            stmt = stmt.where(getattr(CreditMemo, field) == args[field])
    after = decode_cursor(args["cursor"], 1)
    if after is not None:
        stmt = stmt.where(CreditMemo.id < after[0])
    rows = session.scalars(stmt.order_by(CreditMemo.id.desc()).limit(args["limit"] + 1)).all()
    more = len(rows) > args["limit"]
    rows = rows[:args["limit"]]
    return {"items": [credit_memo_to_dict(m, ledger.memo_remaining(session, m), lines=False) for m in rows],
            "next_cursor": encode_cursor([rows[-1].id]) if more and rows else None}
