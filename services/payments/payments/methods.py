"""Payment methods: the studio's list, each of a type (cash, check, card, stripe, paypal, other).

A method's type decides which fields a payment by it carries and which processor takes it.
Methods are never deleted (payments keep pointing at them); an inactive one is refused for
new payments. The migration seeds Cash, Check, Credit card and Other.
"""
from sqlalchemy import select

from proofsheet_shared.contracts.payments import PaymentMethodInSchema, PaymentMethodListArgs
from proofsheet_shared.errors import Conflict, NotFound, Unprocessable
from proofsheet_shared.schemas import load
from proofsheet_shared.types import utcnow

from .models import Payment, PaymentMethod


def name_key(name):
    return " ".join(name.split()).lower()


def method_to_dict(method):
    return {"id": method.id, "name": method.name, "type": method.type, "active": method.active,
            "sort_order": method.sort_order}


def list_methods(session, args=None):
    args = load(PaymentMethodListArgs(), args or {})
    stmt = select(PaymentMethod).order_by(PaymentMethod.sort_order, PaymentMethod.name_key)
    if args["active"] is not None:
        stmt = stmt.where(PaymentMethod.active.is_(args["active"]))
    return {"items": [method_to_dict(m) for m in session.scalars(stmt)], "next_cursor": None}


def get_method(session, method_id, field="method_id"):
    method = session.get(PaymentMethod, method_id)
    if method is None:
        raise NotFound(f"payment method {method_id} does not exist", {field: "not found"})
    return method


def usable_method(session, method_id, field="method_id"):
    method = get_method(session, method_id, field)
    if not method.active:
        raise Unprocessable(f"payment method {method.name} is not active", {field: "inactive method"})
    return method


def _unique_name(session, key, exclude_id=None):
    stmt = select(PaymentMethod.id).where(PaymentMethod.name_key == key)
    if exclude_id is not None:
        stmt = stmt.where(PaymentMethod.id != exclude_id)
    if session.scalar(stmt) is not None:
        raise Conflict("a payment method of that name exists", {"name": "already in use"})


def create_method(session, payload):
    data = load(PaymentMethodInSchema(), payload)
    key = name_key(data["name"])
    _unique_name(session, key)
    method = PaymentMethod(name=data["name"], name_key=key, type=data["type"],
                           active=data.get("active", True), sort_order=data.get("sort_order", 0),
                           created_at=utcnow())
    session.add(method)
    session.flush()
    return method_to_dict(method)


def update_method(session, method_id, payload):
    data = load(PaymentMethodInSchema(), payload, partial=True)
    method = get_method(session, method_id, field="id")
    if "type" in data and data["type"] != method.type:
        used = session.scalar(select(Payment.id).where(Payment.method_id == method.id).limit(1))
        if used is not None:
            raise Unprocessable("payments were recorded with this method: its type cannot change "
                                "(add a new method instead)", {"type": "method in use"})
        method.type = data["type"]
    if "name" in data:
        key = name_key(data["name"])
        _unique_name(session, key, exclude_id=method.id)
        method.name, method.name_key = data["name"], key
    for name in ("active", "sort_order"):
        if name in data:
            setattr(method, name, data[name])
    session.flush()
    return method_to_dict(method)
