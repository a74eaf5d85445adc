"""Payments, refunds and notes as the API (and the events) show them."""


def _date(value):
    return value.isoformat() if value else None


def money(cents):
    """``1250`` → ``'12.50'`` (for messages; the API itself carries integers)."""
    sign = "-" if cents < 0 else ""
    cents = abs(int(cents))
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def payment_to_dict(payment):
    method = payment.method
    return {
        "id": payment.id,
        "payment_number": payment.payment_number,
        "kind": payment.kind,
        "status": payment.status,
        "client_id": payment.client_id,
        "invoice_id": payment.invoice_id,
        "credit_memo_id": payment.credit_memo_id,
        "payment_date": _date(payment.payment_date),
        "amount": payment.amount,
        "currency": payment.currency,
        "method_id": payment.method_id,
        "method_type": payment.method_type,
        "method_name": method.name if method is not None else None,
        "processor": payment.processor,
        "amount_tendered": payment.amount_tendered,
        "change_due": payment.change_due,
        "check_number": payment.check_number,
        "card_type": payment.card_type,
        "authorization_code": payment.authorization_code,
        "card_last4": payment.card_last4,
        "refundable": payment.refundable,
        "refundable_until": _date(payment.refundable_until),
        "future": payment.future,
        "due_date": _date(payment.due_date),
        "received_at": _date(payment.received_at),
        "overpayment_of": payment.overpayment_of,
        "notes": payment.notes,
        "version": payment.version,
        "created_at": _date(payment.created_at),
        "created_by": payment.created_by,
        "updated_at": _date(payment.updated_at),
        "voided_at": _date(payment.voided_at),
        "void_reason": payment.void_reason,
    }


# what the invoicing service keeps of a payment (see invoicing.ledger): the event carries it
EVENT_FIELDS = ("id", "payment_number", "kind", "status", "client_id", "invoice_id", "credit_memo_id",
                "payment_date", "amount", "currency", "method_id", "method_type", "future", "due_date",
                "version")


def event_data(payment_dict):
    """``{"payment": ...}`` (``{"refund": ...}`` for ``refund_recorded``), as invoicing reads it."""
    key = "refund" if payment_dict["kind"] == "refund" else "payment"
    return {key: {name: payment_dict[name] for name in EVENT_FIELDS}}


def note_to_dict(note):
    return {"id": note.id, "payment_id": note.payment_id, "at": _date(note.at), "user_id": note.user_id,
            "action": note.action, "changes": list(note.changes or []), "message": note.message}
