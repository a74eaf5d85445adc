"""How much may still be paid on an invoice or refunded from a credit memo.

The invoicing service keeps invoice balances, following this service's events after they
commit, so its answer can lag behind payments just recorded here. Both limits therefore take
the smaller of invoicing's figure and what this service's own records allow:

- invoice:  ``open = min(balance, total − credited − (payments − refunds recorded here))``
- memo:     ``left = min(remaining, total − refunds recorded here)``

(invoicing's ``paid`` also counts deposits applied to the invoice, which only it knows; its
balance covers those once it has them.) A transaction that records against an invoice or
memo first upserts its ``balance_locks`` row, in (scope, id) order, and sums this service's
records after that: concurrent payments to one invoice queue there, and the second sees the
first, so they cannot both take the last open cents.
"""
from sqlalchemy import case, func, select
from sqlalchemy.dialects import postgresql, sqlite

from .models import PAYMENT, RECORDED, REFUND, BalanceLock, Payment

INVOICE, MEMO = "invoice", "memo"
LOCK_CHUNK = 500


def lock(session, refs):
    """Lock ``(scope, id)`` rows, creating them as needed, in one consistent order."""
    refs = sorted({(scope, int(ref_id)) for scope, ref_id in refs if ref_id is not None})
    if not refs:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for start in range(0, len(refs), LOCK_CHUNK):
        rows = [{"scope": scope, "ref_id": ref_id, "touches": 1}
                for scope, ref_id in refs[start:start + LOCK_CHUNK]]
        stmt = insert(BalanceLock).values(rows)
        stmt = stmt.on_conflict_do_update(index_elements=[BalanceLock.scope, BalanceLock.ref_id],
                                          set_={"touches": BalanceLock.touches + 1})
        session.execute(stmt)


def paid_here(session, invoice_ids, exclude_id=None):
    """``{invoice_id: payments − refunds recorded here}`` (counted ones only)."""
    ids = sorted({i for i in invoice_ids if i is not None})
    if not ids:
        return {}
    signed = case((Payment.kind == REFUND, -Payment.amount), else_=Payment.amount)
    stmt = (select(Payment.invoice_id, func.coalesce(func.sum(signed), 0))
            .where(Payment.invoice_id.in_(ids), Payment.status == RECORDED).group_by(Payment.invoice_id))
    if exclude_id is not None:
        stmt = stmt.where(Payment.id != exclude_id)
    found = {invoice_id: int(total) for invoice_id, total in session.execute(stmt)}
    return {i: found.get(i, 0) for i in ids}


def refunded_here(session, memo_ids, exclude_id=None):
    ids = sorted({i for i in memo_ids if i is not None})
    if not ids:
        return {}
    stmt = (select(Payment.credit_memo_id, func.coalesce(func.sum(Payment.amount), 0))
            .where(Payment.credit_memo_id.in_(ids), Payment.kind == REFUND, Payment.status == RECORDED)
            .group_by(Payment.credit_memo_id))
    if exclude_id is not None:
        stmt = stmt.where(Payment.id != exclude_id)
    found = {memo_id: int(total) for memo_id, total in session.execute(stmt)}
    return {i: found.get(i, 0) for i in ids}


def invoice_open(info, paid):
    """What may still be paid on the invoice (never below 0)."""
    return max(min(int(info["balance"]), int(info["total"]) - int(info["credited"]) - paid), 0)


def memo_left(info, refunded):
    return max(min(int(info["remaining"]), int(info["total"]) - refunded), 0)


__all__ = ["INVOICE", "MEMO", "PAYMENT", "lock", "paid_here", "refunded_here", "invoice_open", "memo_left"]
