"""Status notes: every create, change, receipt and void of a payment or refund writes one —
who, when, what changed (old → new). Notes are only ever inserted: the API has no way to
change or delete one, and the migration's triggers refuse an UPDATE or DELETE of
``payment_notes`` in the database itself."""
from sqlalchemy import insert, select

from proofsheet_shared.errors import NotFound
from proofsheet_shared.types import utcnow

from .models import Payment, PaymentNote
from .serialize import money, note_to_dict

MONEY_FIELDS = {"amount", "amount_tendered", "change_due"}
# the fields a note reports when they change, in this order
TRACKED = ("status", "client_id", "invoice_id", "payment_date", "amount", "method_id", "amount_tendered",
           "change_due", "check_number", "card_type", "authorization_code", "card_last4", "refundable",
           "refundable_until", "future", "due_date", "notes", "void_reason")


def snapshot(payment):
    return {name: _plain(getattr(payment, name)) for name in TRACKED}


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _show(field, value):
    if value is None:
        return "none"
    if field in MONEY_FIELDS:
        return money(value)
    return str(value)


def diff(before, after):
    return [{"field": name, "from": before.get(name), "to": after.get(name)}
            for name in TRACKED if before.get(name) != after.get(name)]


def describe_created(payment, method_name):
    what = "refund" if payment.kind == "refund" else ("future payment" if payment.future else "payment")
    text = f"{what} {payment.payment_number} of {money(payment.amount)} by {method_name}"
    if payment.credit_memo_id is not None:
        text += f" from credit memo {payment.credit_memo_id}"
    elif payment.invoice_id is not None:
        text += f" against invoice {payment.invoice_id}"
    elif payment.kind == "payment":
        text += " as a deposit"
    if payment.future:
        text += f", due {payment.due_date.isoformat()}"
    return text + " recorded"


def describe_changes(changes):
    return "; ".join(f"{c['field']}: {_show(c['field'], c['from'])} → {_show(c['field'], c['to'])}"
                     for c in changes) or "no change"


def note_row(payment_id, action, changes, message, user_id, request_id, at=None):
    return {"payment_id": payment_id, "at": at or utcnow(), "user_id": user_id, "request_id": request_id,
            "action": action, "changes": changes, "message": message}


def write_notes(session, rows):
    if rows:
        session.execute(insert(PaymentNote), rows)


def list_notes(session, payment_id):
    if session.get(Payment, payment_id) is None:
        raise NotFound(f"payment {payment_id} does not exist", {"id": "not found"})
    notes = session.scalars(select(PaymentNote).where(PaymentNote.payment_id == payment_id)
                            .order_by(PaymentNote.id))
    return {"items": [note_to_dict(n) for n in notes], "next_cursor": None}
