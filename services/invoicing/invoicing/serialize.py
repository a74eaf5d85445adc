"""Invoices and credit memos as the API shows them."""


def _date(value):
    return value.isoformat() if value else None


def _ts(value):
    return value.isoformat() if value else None


def line_to_dict(line):
    return {"id": line.id, "position": line.position, "item_id": line.item_id,
            "description": line.description,
            "quantity": line.quantity, "unit_price": line.unit_price, "taxable": line.taxable,
            "amount": line.amount, "discount": line.discount, "tax": line.tax, "total": line.total}


def invoice_to_dict(invoice, lines=True):
    result = {
        "id": invoice.id,
        "invoice_number": invoice.invoice_number,
        "client_id": invoice.client_id,
        "session_id": invoice.session_id,
        "session_type_id": invoice.session_type_id,
        "invoice_date": _date(invoice.invoice_date),
        "due_date": _date(invoice.due_date),
        "status": invoice.status,
        "currency": invoice.currency,
        "tax_rate_id": invoice.tax_rate_id,
        "tax_rate_basis_points": invoice.tax_rate_basis_points,
        "coupon_code": invoice.coupon_code,
        "subtotal": invoice.subtotal,
        "discount": invoice.discount,
        "tax": invoice.tax,
        "total": invoice.total,
        "paid": invoice.paid,
        "refunded": invoice.refunded,
        "credited": invoice.credited,
        "balance": invoice.balance,
        "notes": invoice.notes,
        "created_at": _ts(invoice.created_at),
        "updated_at": _ts(invoice.updated_at),
        "voided_at": _ts(invoice.voided_at),
    }
    if lines:
        result["lines"] = [line_to_dict(line) for line in invoice.lines]
    return result


def credit_memo_to_dict(memo, remaining, lines=True):
    result = {
        "id": memo.id,
        "client_id": memo.client_id,
        "invoice_id": memo.invoice_id,
        "memo_date": _date(memo.memo_date),
        "currency": memo.currency,
        "tax_rate_id": memo.tax_rate_id,
        "tax_rate_basis_points": memo.tax_rate_basis_points,
        "subtotal": memo.subtotal,
        "tax": memo.tax,
        "total": memo.total,
        "refunded": memo.refunded,
        "remaining": remaining,
        "notes": memo.notes,
        "created_at": _ts(memo.created_at),
    }
    if lines:
        result["lines"] = [line_to_dict(line) for line in memo.lines]
    return result
