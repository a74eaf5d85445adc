"""Reading payments: one, the payments hub (filters and keyset pages), a client's history,
the payment tools (amount for a percentage or the full balance) and what the clients
service asks before deleting a client."""
import datetime as dt
from decimal import Decimal

from sqlalchemy import and_, case, func, or_, select

from proofsheet_shared.contracts.payments import AmountForArgs, ClientPaymentsArgs, PaymentListArgs
from proofsheet_shared.errors import ValidationError
from proofsheet_shared.schemas import decode_cursor, encode_cursor, load

from . import balances
from .models import FUTURE, PAYMENT, RECORDED, REFUND, Payment
from .records import get_payment_row
from .serialize import payment_to_dict


def get_payment(session, payment_id):
    return payment_to_dict(get_payment_row(session, payment_id))


def _page(session, stmt, args):
    after = decode_cursor(args.get("cursor"), 2)
    if after is not None:
        try:
            day = dt.date.fromisoformat(after[0])
            last_id = int(after[1])
        except (TypeError, ValueError):
            raise ValidationError("the cursor is not one this API gave out",
                                  {"cursor": "invalid cursor"}) from None
        stmt = stmt.where(or_(Payment.payment_date < day,
                              and_(Payment.payment_date == day, Payment.id < last_id)))
    rows = session.scalars(stmt.order_by(Payment.payment_date.desc(), Payment.id.desc())
                           .limit(args["limit"] + 1)).all()
    more = len(rows) > args["limit"]
    rows = rows[:args["limit"]]
    cursor = encode_cursor([rows[-1].payment_date.isoformat(), rows[-1].id]) if more and rows else None
    return {"items": [payment_to_dict(p) for p in rows], "next_cursor": cursor}


def list_payments(session, args):
    """The hub: client, invoice, credit memo, method, kind, status, payment date range; ``future``
    (promised, not yet received) and ``due_before`` (those due on or before a date)."""
    args = load(PaymentListArgs(), args or {})
    stmt = select(Payment)
    for name in ("client_id", "invoice_id", "credit_memo_id", "method_id", "kind", "status"):
        if args[name] is not None:
            stmt = stmt.where(getattr(Payment, name) == args[name])
    if args["date_from"] is not None:
        stmt = stmt.where(Payment.payment_date >= args["date_from"])
    if args["date_to"] is not None:
        stmt = stmt.where(Payment.payment_date <= args["date_to"])
    if args["future"] is not None:
        stmt = stmt.where((Payment.status == FUTURE) if args["future"] else (Payment.status != FUTURE))
    if args["due_before"] is not None:
        stmt = stmt.where(Payment.status == FUTURE, Payment.due_date <= args["due_before"])
    return _page(session, stmt, args)


def client_payments(session, client_id, args, client_lookup):
    """A client's payment history, newest first, with the totals of what counts."""
    args = load(ClientPaymentsArgs(), args or {})
    counted = func.coalesce(func.sum(case((Payment.status == RECORDED, Payment.amount), else_=0)), 0)
    totals = dict(session.execute(select(Payment.kind, counted).where(Payment.client_id == client_id)
                                  .group_by(Payment.kind)).all())
    count = session.scalar(select(func.count()).select_from(Payment).where(Payment.client_id == client_id))
    if not count:
        client_lookup(client_id)  # 404 unless the client exists
    stmt = select(Payment).where(Payment.client_id == client_id)
    if args["kind"] is not None:
        stmt = stmt.where(Payment.kind == args["kind"])
    page = _page(session, stmt, args)
    page.update(client_id=client_id, paid=int(totals.get(PAYMENT, 0)), refunded=int(totals.get(REFUND, 0)))
    return page


def round_half_up(numerator, denominator):
    quotient, remainder = divmod(numerator, denominator)
    return quotient + (1 if 2 * remainder >= denominator else 0)


def amount_for(session, args, invoice_lookup):
    """The payment tools: ``percent`` of the invoice's total (up to 2 decimals, rounded half up
    to the cent: 33.33 % of 100.01 is 33.33), or ``full_balance`` — what is open now, as a
    payment would be checked (see :mod:`payments.balances`)."""
    args = load(AmountForArgs(), args or {})
    info = invoice_lookup(args["invoice_id"])
    paid = balances.paid_here(session, [info["invoice_id"]])[info["invoice_id"]]
    open_ = balances.invoice_open(info, paid)
    percent = args.get("percent")
    if percent is not None:
        basis_points = int(Decimal(percent) * 100)
        amount = round_half_up(int(info["total"]) * basis_points, 10_000)
        shown = format(Decimal(basis_points) / 100, "f")
    else:
        amount, shown = open_, None
    return {"invoice_id": info["invoice_id"], "currency": info.get("currency"), "total": info["total"],
            "balance": open_, "percent": shown, "amount": amount}


def client_references(session, client_id):
    return {"payments": session.scalar(select(func.count()).select_from(Payment)
                                       .where(Payment.client_id == client_id))}
