"""Reports: client balances, aging of open invoices, and what clients spent per item or
session type (the services report).

Each is one aggregate query over the invoices table (whose paid/credited/balance columns the
ledger keeps current), so a report over every client is a single scan.
"""
import datetime as dt
from collections import defaultdict

from sqlalchemy import case, func, select, union_all

from proofsheet_shared.contracts.invoicing import AgingArgs, ServicesReportArgs
from proofsheet_shared.schemas import load

from .ledger import PAYMENT
from .models import OPEN, VOID, CreditMemo, Invoice, InvoiceLine, PaymentRecord, PriceListItem
from .money import spread

BUCKETS = ("current", "days_1_30", "days_31_60", "days_61_90", "days_90_plus")


def balances(session):
    """Every client who owes money (balance > 0), largest balance first. A client's balance
    is their invoices' balances less unapplied credit memos on account and unapplied deposits."""
    parts = union_all(
        select(Invoice.client_id.label("client_id"), Invoice.balance.label("amount"))
        .where(Invoice.balance != 0),
        select(CreditMemo.client_id, -(CreditMemo.total - CreditMemo.refunded))
        .where(CreditMemo.invoice_id.is_(None), CreditMemo.total != CreditMemo.refunded),
        select(PaymentRecord.client_id, -(PaymentRecord.amount - PaymentRecord.applied))
        .where(PaymentRecord.kind == PAYMENT, PaymentRecord.invoice_id.is_(None),
               PaymentRecord.counted.is_(True), PaymentRecord.client_id.is_not(None),
               PaymentRecord.amount != PaymentRecord.applied),
    ).subquery()
    total = func.sum(parts.c.amount)
    rows = session.execute(select(parts.c.client_id, total.label("balance")).group_by(parts.c.client_id)
                           .having(total > 0).order_by(total.desc(), parts.c.client_id))
    items = [{"client_id": r.client_id, "balance": int(r.balance)} for r in rows]
    return {"items": items, "total": sum(i["balance"] for i in items)}


def aging(session, args, today):
    """Open invoice balances by how far past due they are on ``as_of`` (default today):
    ``current`` (not yet due), 1–30, 31–60, 61–90 and over 90 days. Clients with the most
    owed come first."""
    args = load(AgingArgs(), args or {})
    as_of = args["as_of"] or today
    cut = [as_of - dt.timedelta(days=d) for d in (0, 30, 60, 90)]
    due, balance = Invoice.due_date, Invoice.balance
    columns = [
        func.sum(case((due >= cut[0], balance), else_=0)),
        func.sum(case(((due < cut[0]) & (due >= cut[1]), balance), else_=0)),
        func.sum(case(((due < cut[1]) & (due >= cut[2]), balance), else_=0)),
        func.sum(case(((due < cut[2]) & (due >= cut[3]), balance), else_=0)),
        func.sum(case((due < cut[3], balance), else_=0)),
    ]
    total = func.sum(balance)
    rows = session.execute(
        select(Invoice.client_id, *columns, total)
        .where(Invoice.status == OPEN, Invoice.balance > 0, Invoice.invoice_date <= as_of)
        .group_by(Invoice.client_id).order_by(total.desc(), Invoice.client_id)).all()
    items, totals = [], dict.fromkeys(BUCKETS + ("total",), 0)
    for row in rows:
        entry = {"client_id": row[0]}
        for name, value in zip(BUCKETS + ("total",), row[1:]):
            entry[name] = int(value)
            totals[name] += entry[name]
        items.append(entry)
    return {"as_of": as_of.isoformat(), "items": items, "totals": totals}


def services(session, args):
    """What each client was invoiced, and has paid, per item (``group_by=item``) or per
    session type (``group_by=session_type``) on invoices dated ``from``..``to`` (not void).

    ``invoiced`` is the lines' totals (after discount, with tax). An invoice's ``paid`` is
    spread over its lines in proportion to their totals (largest remainder, to the cent), so
    the report's paid adds up to what the invoices show. Lines without an item are grouped by
    their description."""
    args = load(ServicesReportArgs(), args or {})
    stmt = (select(Invoice.id, Invoice.client_id, Invoice.session_type_id, Invoice.paid, Invoice.total,
                   InvoiceLine.item_id, InvoiceLine.description, InvoiceLine.quantity,
                   InvoiceLine.total.label("line_total"), PriceListItem.name)
            .join(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
            .outerjoin(PriceListItem, PriceListItem.id == InvoiceLine.item_id)
            .where(Invoice.invoice_date >= args["date_from"], Invoice.invoice_date <= args["date_to"],
                   Invoice.status != VOID)
            .order_by(Invoice.id, InvoiceLine.position))
    if args["client_id"] is not None:
        stmt = stmt.where(Invoice.client_id == args["client_id"])
    by_invoice = defaultdict(list)
    for row in session.execute(stmt):
        by_invoice[row.id].append(row)
    groups = {}
    for lines in by_invoice.values():
        paid = max(0, min(lines[0].paid, lines[0].total))
        shares = spread(paid, [max(line.line_total, 0) for line in lines])
        for line, share in zip(lines, shares):
            if args["group_by"] == "session_type":
                group = (line.client_id, line.session_type_id)
                fresh = {"client_id": line.client_id, "session_type_id": line.session_type_id, "name": None}
            else:
                group = (line.client_id, line.item_id, None if line.item_id else line.description)
                fresh = {"client_id": line.client_id, "item_id": line.item_id,
                         "name": line.name if line.item_id else line.description}
            entry = groups.setdefault(group, dict(fresh, quantity=0, invoiced=0, paid=0))
            entry["quantity"] += line.quantity
            entry["invoiced"] += line.line_total
            entry["paid"] += share
    items = sorted(groups.values(), key=lambda e: (e["client_id"], e.get("name") or "",
                                                   e.get("item_id") or e.get("session_type_id") or 0))
    return {"from": args["date_from"].isoformat(), "to": args["date_to"].isoformat(),
            "group_by": args["group_by"], "items": items}

