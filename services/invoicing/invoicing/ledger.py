"""Keeping paid amounts true: payments, refunds, deposits and credits against invoices.

The payments service announces ``payment_recorded``, ``payment_updated``, ``payment_voided``
and ``refund_recorded``. Each event's payment is kept in ``payment_records`` as its last known
state, and every invoice it touches (before and after the change) is recomputed from those
records, so a duplicated, repeated or reordered event cannot count money twice:

- ``paid``     = counted payments on the invoice + deposits applied to it − its refunds
- ``refunded`` = counted refunds from credit memos against the invoice (or naming it)
- ``credited`` = totals of the credit memos against the invoice
- ``balance``  = total − paid − credited (a void invoice counts its total as 0)
- ``status``   = ``void`` once voided, else ``paid`` when the balance is 0 or less, else ``open``

A payment is *counted* unless it is voided, a future (not yet received) payment, or its status
says it moved no money. A counted payment without an invoice is a *deposit*: credit on account
until applied to invoices (``deposit_applications``). If a deposit stops being one (voided,
moved to an invoice, made smaller), the applications it can no longer cover are removed,
newest first, and those invoices recomputed.

Rows are locked in one order everywhere (the payment record, then invoices by id), so
concurrent events and deposit applications on the same invoice queue instead of losing an
update.

Event data: the payment as ``data["payment"]`` (or ``data["refund"]``, or ``data`` itself)
with ``id`` (or ``payment_id``), ``kind`` (``payment``/``refund``), ``client_id``,
``invoice_id``, ``credit_memo_id``, ``amount`` (integer cents), and optionally ``status``,
``future``, ``payment_date`` and ``version`` (a payment's state older than the one kept is
ignored).
"""
import datetime as dt
import logging

from sqlalchemy import and_, case, func, or_, select, true as literal_true

from proofsheet_shared.contracts.invoicing import DepositApplySchema
from proofsheet_shared.errors import Conflict, NotFound, Unprocessable, ValidationError
from proofsheet_shared.schemas import load
from proofsheet_shared.types import utcnow

from .models import OPEN, PAID, VOID, CreditMemo, DepositApplication, Invoice, PaymentRecord
from .serialize import invoice_to_dict

log = logging.getLogger(__name__)

NOT_COUNTED = {"void", "voided", "future", "pending", "scheduled", "failed", "declined", "error", "expired",
               "canceled", "cancelled"}
PAYMENT, REFUND = "payment", "refund"


def _money(cents):
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


# --- one invoice ------------------------------------------------------------------------

def refresh_invoice(session, invoice):
    """Recompute paid, refunded, credited, balance and status from the records."""
    memo_ids = select(CreditMemo.id).where(CreditMemo.invoice_id == invoice.id)
    direct = (select(func.coalesce(func.sum(PaymentRecord.amount), 0))
              .where(PaymentRecord.invoice_id == invoice.id, PaymentRecord.kind == PAYMENT,
                     PaymentRecord.counted.is_(True)).scalar_subquery())
    applied = (select(func.coalesce(func.sum(DepositApplication.amount), 0))
               .where(DepositApplication.invoice_id == invoice.id).scalar_subquery())
    refunds = (select(func.coalesce(func.sum(PaymentRecord.amount), 0))
               .where(PaymentRecord.kind == REFUND, PaymentRecord.counted.is_(True),
                      or_(PaymentRecord.credit_memo_id.in_(memo_ids),
                          and_(PaymentRecord.credit_memo_id.is_(None),
                               PaymentRecord.invoice_id == invoice.id)))
               .scalar_subquery())
    credited = (select(func.coalesce(func.sum(CreditMemo.total), 0))
                .where(CreditMemo.invoice_id == invoice.id).scalar_subquery())
    row = session.execute(select(direct, applied, refunds, credited)).one()
    invoice.refunded = int(row[2])
    invoice.paid = int(row[0]) + int(row[1]) - invoice.refunded
    invoice.credited = int(row[3])
    void = invoice.voided_at is not None
    invoice.balance = (0 if void else invoice.total) - invoice.paid - invoice.credited
    invoice.status = VOID if void else (PAID if invoice.balance <= 0 else OPEN)
    return invoice


def announce(db, invoice, status_before, changed, current=None):
    """``invoice_updated`` for a change, and ``invoice_paid`` when it has just become paid."""
    current = current or invoice_to_dict(invoice)
    if changed:
        db.publish("invoice_updated", {"invoice": current, "changed": changed})
    if status_before != PAID and invoice.status == PAID:
        db.publish("invoice_paid", {"invoice": current})


def money_applied(session, invoice):
    """Why the invoice's amounts are fixed (money has touched it), or None."""
    if invoice.paid or invoice.refunded:
        return f"payments are applied to it ({_money(invoice.paid)} paid)"
    if invoice.credited:
        return f"credit memos are applied to it ({_money(invoice.credited)} credited)"
    touched = session.scalar(select(func.count()).select_from(PaymentRecord).where(
        PaymentRecord.invoice_id == invoice.id, PaymentRecord.counted.is_(True)))
    touched = touched or session.scalar(select(func.count()).select_from(DepositApplication).where(
        DepositApplication.invoice_id == invoice.id))
    if touched:
        return "payments are applied to it"
    return None


def lock_invoices(session, invoice_ids):
    ids = sorted({i for i in invoice_ids if i is not None})
    if not ids:
        return []
    return list(session.scalars(select(Invoice).where(Invoice.id.in_(ids)).order_by(Invoice.id)
                                .with_for_update().execution_options(populate_existing=True)))


def refresh_and_announce(db, invoices):
    for invoice in invoices:
        before = invoice_to_dict(invoice, lines=False)
        refresh_invoice(db.session, invoice)
        after = invoice_to_dict(invoice, lines=False)
        changed = sorted(k for k in after if after[k] != before[k])
        if changed:
            invoice.updated_at = utcnow()
            announce(db, invoice, before["status"], changed)


# --- payment events ---------------------------------------------------------------------

def _whole(value, field, required=False):
    if value is None:
        if required:
            raise ValidationError(f"the payment event has no {field}", {field: "missing"})
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"the payment event's {field} is not an integer", {field: "not an integer"})
    return value


def payment_from_event(data, default_kind):
    payment = data.get("payment") or data.get("refund") or data
    ident = payment.get("id", payment.get("payment_id"))
    date = payment.get("payment_date")
    return {
        "payment_id": _whole(ident, "payment_id", required=True),
        "kind": payment.get("kind") or default_kind,
        "client_id": _whole(payment.get("client_id"), "client_id"),
        "invoice_id": _whole(payment.get("invoice_id"), "invoice_id"),
        "credit_memo_id": _whole(payment.get("credit_memo_id"), "credit_memo_id"),
        "amount": _whole(payment.get("amount"), "amount"),
        "status": payment.get("status"),
        "future": bool(payment.get("future")),
        "version": _whole(payment.get("version"), "version"),
        "payment_date": dt.date.fromisoformat(date) if isinstance(date, str) else None,
        "keys": set(payment),
    }


def _touched_invoices(session, record):
    """Invoices whose amounts depend on this record."""
    if record is None:
        return set()
    ids = {record.invoice_id}
    if record.credit_memo_id is not None:
        ids.add(session.scalar(select(CreditMemo.invoice_id).where(CreditMemo.id == record.credit_memo_id)))
    ids.update(session.scalars(select(DepositApplication.invoice_id)
                               .where(DepositApplication.payment_id == record.payment_id)))
    ids.discard(None)
    return ids


def _is_deposit(record):
    return record.kind == PAYMENT and record.invoice_id is None and record.counted


def _settle_deposit(session, record):
    """Trim the record's deposit applications to what it can still cover (newest go first)."""
    applications = list(session.scalars(select(DepositApplication)
                                        .where(DepositApplication.payment_id == record.payment_id)
                                        .order_by(DepositApplication.id)))
    cover = record.amount if _is_deposit(record) else 0
    kept = 0
    for application in applications:
        if kept + application.amount <= cover:
            kept += application.amount
        elif kept < cover:
            application.amount = cover - kept
            kept = cover
            log.warning("deposit %s shrank: application %s cut to %s", record.payment_id, application.id,
                        application.amount)
        else:
            log.warning("deposit %s no longer covers application %s (%s) to invoice %s: removed",
                        record.payment_id, application.id, application.amount, application.invoice_id)
            session.delete(application)
    record.applied = kept


def _refresh_memo(session, memo_id):
    if memo_id is None:
        return
    memo = session.get(CreditMemo, memo_id)
    if memo is None:
        return
    memo.refunded = int(session.scalar(
        select(func.coalesce(func.sum(PaymentRecord.amount), 0))
        .where(PaymentRecord.credit_memo_id == memo_id, PaymentRecord.kind == REFUND,
               PaymentRecord.counted.is_(True))))


def apply_payment_event(db, event_type, data):
    """Bring the kept state of one payment up to date with an event; recompute what it touches."""
    session = db.session
    info = payment_from_event(data or {}, REFUND if event_type == "refund_recorded" else PAYMENT)
    record = session.scalar(select(PaymentRecord).where(PaymentRecord.payment_id == info["payment_id"])
                            .with_for_update().execution_options(populate_existing=True))
    stale = record is not None and None not in (info["version"], record.version)
    if stale and info["version"] < record.version:
        log.info("payment %s: ignoring state version %s older than %s", record.payment_id, info["version"],
                 record.version)
        return None
    touched = _touched_invoices(session, record)
    memos = {record.credit_memo_id} if record is not None else set()
    if record is None:
        if info["amount"] is None:
            raise ValidationError(f"payment {info['payment_id']} is unknown here and its event has no amount",
                                  {"amount": "missing"})
        record = PaymentRecord(payment_id=info["payment_id"], kind=info["kind"], amount=info["amount"],
                               applied=0, voided=False, future=False, counted=False)
        session.add(record)
    for field in ("kind", "client_id", "invoice_id", "credit_memo_id", "amount", "status", "payment_date",
                  "future"):
        if field in info["keys"] and not (field in ("kind", "amount") and info[field] is None):
            setattr(record, field, info[field])
    if info["version"] is not None:
        record.version = info["version"]
    if event_type == "payment_voided":
        record.voided = True
    status = (record.status or "").lower()
    record.counted = not record.voided and not record.future and status not in NOT_COUNTED
    record.updated_at = utcnow()
    session.flush()
    touched |= _touched_invoices(session, record)  # its new invoice, memo's invoice, applications
    memos.add(record.credit_memo_id)
    invoices = lock_invoices(session, touched)
    _settle_deposit(session, record)
    session.flush()
    for memo_id in memos:
        _refresh_memo(session, memo_id)
    refresh_and_announce(db, invoices)
    return record.payment_id


# --- deposits ---------------------------------------------------------------------------

def deposits_query(client_id):
    remaining = (PaymentRecord.amount - PaymentRecord.applied).label("remaining")
    return (select(PaymentRecord.payment_id, remaining)
            .where(PaymentRecord.client_id == client_id, PaymentRecord.kind == PAYMENT,
                   PaymentRecord.invoice_id.is_(None), PaymentRecord.counted.is_(True),
                   PaymentRecord.amount > PaymentRecord.applied)
            .order_by(PaymentRecord.payment_id))


def unapplied_deposits(session, client_id):
    """The notice on an invoice: ``[{payment_id, amount}]`` of the client's unapplied deposits."""
    return [{"payment_id": r.payment_id, "amount": int(r.remaining)}
            for r in session.execute(deposits_query(client_id))]


def apply_deposit(db, payment_id, payload, user_id, idempotency_key=None):
    """Apply part or all of a deposit to one of the same client's invoices. Neither the
    deposit's remainder nor the invoice's open balance may be exceeded. The same
    ``idempotency_key`` again returns the first application and changes nothing."""
    session = db.session
    data = load(DepositApplySchema(), payload)
    if idempotency_key:
        earlier = session.scalar(select(DepositApplication)
                                 .where(DepositApplication.idempotency_key == idempotency_key))
        if earlier is not None:
            if (earlier.payment_id, earlier.invoice_id, earlier.amount) != (payment_id, data["invoice_id"],
                                                                           data["amount"]):
                raise Conflict("this Idempotency-Key was used for a different application",
                               {"Idempotency-Key": "already used for another request"})
            return _application_result(session, earlier)
    record = session.scalar(select(PaymentRecord).where(PaymentRecord.payment_id == payment_id)
                            .with_for_update().execution_options(populate_existing=True))
    if record is None:
        raise NotFound(f"deposit {payment_id} does not exist", {"payment_id": "not found"})
    if not _is_deposit(record):
        if record.kind == REFUND:
            why = "it is a refund"
        elif not record.counted:
            why = "it is voided or not received"
        else:
            why = f"it was recorded against invoice {record.invoice_id}"
        raise Unprocessable(f"payment {payment_id} is not a deposit: {why}", {"payment_id": why})
    invoices = lock_invoices(session, [data["invoice_id"]])
    if not invoices:
        raise NotFound(f"invoice {data['invoice_id']} does not exist", {"invoice_id": "not found"})
    invoice = invoices[0]
    if invoice.client_id != record.client_id:
        raise Unprocessable(f"deposit {payment_id} belongs to client {record.client_id}, the invoice to "
                            f"client {invoice.client_id}", {"invoice_id": "another client's invoice"})
    if invoice.status == VOID:
        raise Unprocessable(f"invoice {invoice.invoice_number} is void", {"invoice_id": "void invoice"})
    remaining = record.amount - record.applied
    if data["amount"] > remaining:
        raise Unprocessable(f"only {_money(remaining)} of deposit {payment_id} is left to apply",
                            {"amount": f"over-application: {_money(remaining)} left on the deposit"})
    if data["amount"] > invoice.balance:
        open_balance = _money(max(invoice.balance, 0))
        raise Unprocessable(f"invoice {invoice.invoice_number} has only {open_balance} open",
                            {"amount": f"over-application: the invoice's open balance is {open_balance}"})
    application = DepositApplication(payment_id=payment_id, invoice_id=invoice.id, amount=data["amount"],
                                     idempotency_key=idempotency_key or None, created_at=utcnow(),
                                     created_by=user_id)
    session.add(application)
    record.applied += data["amount"]
    session.flush()
    refresh_and_announce(db, [invoice])
    db.publish("deposit_applied", {"application_id": application.id, "payment_id": payment_id,
                                   "invoice_id": invoice.id, "client_id": invoice.client_id,
                                   "amount": application.amount,
                                   "deposit_remaining": record.amount - record.applied})
    return _application_result(session, application)


def _application_result(session, application):
    record = session.get(PaymentRecord, application.payment_id)
    invoice = session.get(Invoice, application.invoice_id)
    return {"id": application.id, "payment_id": application.payment_id, "invoice_id": application.invoice_id,
            "amount": application.amount, "deposit_remaining": record.amount - record.applied,
            "invoice": invoice_to_dict(invoice)}


# --- credit memos and balances ------------------------------------------------------------

def memo_remaining(session, memo):
    """What may still be refunded from a credit memo. One on account: its total less refunds.
    One against an invoice first pays that invoice: only what the client has overpaid on it
    (a negative balance) may go back."""
    left = memo.total - memo.refunded
    if memo.invoice_id is None:
        return max(left, 0)
    balance = session.scalar(select(Invoice.balance).where(Invoice.id == memo.invoice_id)) or 0
    return max(min(left, -balance), 0)


def client_balance(session, client_id):
    """``invoiced`` (invoices not void), ``paid``, ``credit`` (memos against invoices and on
    account), ``unapplied_deposits`` and ``balance`` (what the client owes; negative: owed to
    them). Also ``known``: whether this service holds anything for the client. One statement."""
    invoices = (select(func.count(), func.coalesce(func.sum(case((Invoice.status != VOID, Invoice.total),
                                                                 else_=0)), 0),
                       func.coalesce(func.sum(Invoice.paid), 0), func.coalesce(func.sum(Invoice.credited), 0))
                .where(Invoice.client_id == client_id).subquery())
    memo_left = func.coalesce(func.sum(CreditMemo.total - CreditMemo.refunded), 0)
    memos = (select(func.count().label("n"), memo_left.label("left"))
             .where(CreditMemo.client_id == client_id, CreditMemo.invoice_id.is_(None)).subquery())
    deposits = (select(func.count().label("n"),
                       func.coalesce(func.sum(PaymentRecord.amount - PaymentRecord.applied), 0).label("left"))
                .where(PaymentRecord.client_id == client_id, PaymentRecord.kind == PAYMENT,
                       PaymentRecord.invoice_id.is_(None), PaymentRecord.counted.is_(True)).subquery())
    row = session.execute(select(*invoices.c, memos.c.n, memos.c.left, deposits.c.n, deposits.c.left)
                          .select_from(invoices).join(memos, literal_true())
                          .join(deposits, literal_true())).one()
    count, invoiced, paid, credited, memo_count, memo_left, deposit_count, unapplied = (int(v) for v in row)
    credit = credited + memo_left
    return {"client_id": client_id, "invoiced": invoiced, "paid": paid, "credit": credit,
            "unapplied_deposits": unapplied, "balance": invoiced - paid - credit - unapplied,
            "known": bool(count or memo_count or deposit_count)}

def client_references(session, client_id):
    """What this service holds for a client (the clients service refuses to delete it then)."""
    def count(model):
        return session.scalar(select(func.count()).select_from(model).where(model.client_id == client_id))
    return {"invoices": count(Invoice), "credit_memos": count(CreditMemo)}
