"""What a studio sells: tax rates, price lists, their groups and items (promotions included),
and the invoicing settings (numbering, default tax rate, default due days)."""
from sqlalchemy import func, or_, select

from proofsheet_shared.contracts.invoicing import (InvoiceSettingsSchema, PriceListGroupInSchema,
                                                   PriceListInSchema, PriceListItemArgs,
                                                   PriceListItemInSchema, TaxRateInSchema)
from proofsheet_shared.errors import Conflict, NotFound, Unprocessable, ValidationError
from proofsheet_shared.schemas import decode_cursor, encode_cursor, load
from proofsheet_shared.types import utcnow

from .models import PROMOTIONAL, STANDARD, InvoiceSettings, PriceList, PriceListGroup, PriceListItem, TaxRate


def key(text):
    return " ".join((text or "").split()).casefold()


def _date(value):
    return value.isoformat() if value else None


# --- settings ---------------------------------------------------------------------------

def get_settings(session):
    settings = session.get(InvoiceSettings, 1)
    if settings is None:
        settings = InvoiceSettings(id=1, invoice_number_prefix="", next_invoice_number=1000,
                                   default_tax_rate_id=None, default_due_days=30)
        session.add(settings)
        session.flush()
    return settings


def settings_to_dict(settings):
    return {"invoice_number_prefix": settings.invoice_number_prefix,
            "next_invoice_number": settings.next_invoice_number,
            "default_tax_rate_id": settings.default_tax_rate_id,
            "default_due_days": settings.default_due_days}


def update_settings(session, payload):
    data = load(InvoiceSettingsSchema(), payload, partial=True)
    settings = get_settings(session)
    if "invoice_number_prefix" in data:
        settings.invoice_number_prefix = (data["invoice_number_prefix"] or "").strip()
    if data.get("default_tax_rate_id") is not None:
        get_tax_rate(session, data["default_tax_rate_id"], field="default_tax_rate_id")
    for field in ("next_invoice_number", "default_tax_rate_id", "default_due_days"):
        if field in data:
            setattr(settings, field, data[field])
    session.flush()
    return settings_to_dict(settings)


# --- tax rates --------------------------------------------------------------------------

def tax_rate_to_dict(rate):
    return {"id": rate.id, "name": rate.name, "rate_basis_points": rate.rate_basis_points,
            "active": rate.active}


def get_tax_rate(session, rate_id, field="id"):
    rate = session.get(TaxRate, rate_id)
    if rate is None:
        raise NotFound(f"tax rate {rate_id} does not exist", {field: "not found"})
    return rate


def list_tax_rates(session):
    rates = session.scalars(select(TaxRate).order_by(TaxRate.name_key, TaxRate.id))
    return {"items": [tax_rate_to_dict(r) for r in rates], "next_cursor": None}


def _name_free(session, model, name, label, exclude_id=None, **scope):
    stmt = select(model.id).where(model.name_key == key(name))
    for column, value in scope.items():
        stmt = stmt.where(getattr(model, column) == value)
    if exclude_id is not None:
        stmt = stmt.where(model.id != exclude_id)
    if session.scalar(stmt) is not None:
        raise Conflict(f"a {label} named '{name}' already exists", {"name": "already exists"})


def create_tax_rate(session, payload):
    data = load(TaxRateInSchema(), payload)
    _name_free(session, TaxRate, data["name"], "tax rate")
    rate = TaxRate(name=data["name"], name_key=key(data["name"]), rate_basis_points=data["rate_basis_points"],
                   active=data.get("active", True), created_at=utcnow())
    session.add(rate)
    session.flush()
    return tax_rate_to_dict(rate)


def update_tax_rate(session, rate_id, payload):
    """A changed rate applies to invoices computed from now on; existing invoices keep theirs."""
    data = load(TaxRateInSchema(), payload, partial=True)
    rate = get_tax_rate(session, rate_id)
    if "name" in data:
        _name_free(session, TaxRate, data["name"], "tax rate", exclude_id=rate.id)
        rate.name, rate.name_key = data["name"], key(data["name"])
    for field in ("rate_basis_points", "active"):
        if field in data:
            setattr(rate, field, data[field])
    session.flush()
    return tax_rate_to_dict(rate)


# --- price lists and groups -------------------------------------------------------------

def group_to_dict(group):
    return {"id": group.id, "price_list_id": group.price_list_id, "name": group.name,
            "sort_order": group.sort_order}


def price_list_to_dict(price_list):
    return {"id": price_list.id, "name": price_list.name, "active": price_list.active,
            "groups": [group_to_dict(g) for g in price_list.groups]}


def get_price_list(session, price_list_id, field="id"):
    price_list = session.get(PriceList, price_list_id)
    if price_list is None:
        raise NotFound(f"price list {price_list_id} does not exist", {field: "not found"})
    return price_list


def list_price_lists(session):
    rows = session.scalars(select(PriceList).order_by(PriceList.name_key, PriceList.id))
    return {"items": [price_list_to_dict(p) for p in rows], "next_cursor": None}


def create_price_list(session, payload):
    data = load(PriceListInSchema(), payload)
    _name_free(session, PriceList, data["name"], "price list")
    price_list = PriceList(name=data["name"], name_key=key(data["name"]), active=data.get("active", True),
                           created_at=utcnow())
    session.add(price_list)
    session.flush()
    return price_list_to_dict(price_list)


def list_groups(session, price_list_id):
    price_list = get_price_list(session, price_list_id)
    return {"items": [group_to_dict(g) for g in price_list.groups], "next_cursor": None}


def create_group(session, price_list_id, payload):
    price_list = get_price_list(session, price_list_id)
    data = load(PriceListGroupInSchema(), payload)
    _name_free(session, PriceListGroup, data["name"], "group", price_list_id=price_list.id)
    if "sort_order" not in data:
        highest = session.scalar(select(func.max(PriceListGroup.sort_order))
                                 .where(PriceListGroup.price_list_id == price_list.id))
        data["sort_order"] = (highest or 0) + 10
    group = PriceListGroup(price_list_id=price_list.id, name=data["name"], name_key=key(data["name"]),
                           sort_order=data["sort_order"])
    session.add(group)
    session.flush()
    session.expire(price_list, ["groups"])
    return group_to_dict(group)


# --- items and promotions ---------------------------------------------------------------

PROMOTION_FIELDS = ("coupon_code", "percent_off", "amount_off", "starts_on", "ends_on", "max_uses",
                    "min_subtotal")


def promotion_to_dict(item):
    if item.item_type != PROMOTIONAL:
        return None
    return {"coupon_code": item.coupon_code, "percent_off": item.percent_off, "amount_off": item.amount_off,
            "starts_on": _date(item.starts_on), "ends_on": _date(item.ends_on), "max_uses": item.max_uses,
            "min_subtotal": item.min_subtotal, "uses": item.uses}


def item_to_dict(item):
    return {"id": item.id, "price_list_id": item.price_list_id, "group_id": item.group_id, "code": item.code,
            "name": item.name, "price": item.price, "taxable": item.taxable, "item_type": item.item_type,
            "promotion": promotion_to_dict(item), "active": item.active}


def get_item(session, item_id, field="id"):
    item = session.get(PriceListItem, item_id)
    if item is None:
        raise NotFound(f"price-list item {item_id} does not exist", {field: "not found"})
    return item


def _check_code_free(session, price_list_id, code, exclude_id=None):
    stmt = select(PriceListItem.id).where(PriceListItem.price_list_id == price_list_id,
                                          PriceListItem.code_key == key(code))
    if exclude_id is not None:
        stmt = stmt.where(PriceListItem.id != exclude_id)
    if session.scalar(stmt) is not None:
        raise Conflict(f"price list {price_list_id} already has an item with code '{code}'",
                       {"code": "already in use in this price list"})


def _check_coupon_free(session, coupon_code, exclude_id=None):
    stmt = select(PriceListItem.id).where(PriceListItem.coupon_code == coupon_code)
    if exclude_id is not None:
        stmt = stmt.where(PriceListItem.id != exclude_id)
    if session.scalar(stmt) is not None:
        raise Conflict(f"coupon code {coupon_code} is already used by another promotion",
                       {"promotion.coupon_code": "already in use"})


def _apply_promotion(item, promotion):
    if promotion is None:
        for field in PROMOTION_FIELDS:
            setattr(item, field, 0 if field == "min_subtotal" else None)
        return
    for field in PROMOTION_FIELDS:
        setattr(item, field, promotion.get(field))
    item.coupon_code = promotion["coupon_code"].upper()
    item.min_subtotal = promotion.get("min_subtotal") or 0


def _check_group(session, price_list_id, group_id):
    if group_id is None:
        return
    group = session.get(PriceListGroup, group_id)
    if group is None:
        raise NotFound(f"group {group_id} does not exist", {"group_id": "not found"})
    if group.price_list_id != price_list_id:
        raise Unprocessable(f"group {group_id} belongs to price list {group.price_list_id}, "
                            f"not {price_list_id}", {"group_id": "belongs to another price list"})


def create_item(session, payload):
    data = load(PriceListItemInSchema(), payload)
    get_price_list(session, data["price_list_id"], field="price_list_id")
    _check_group(session, data["price_list_id"], data.get("group_id"))
    _check_code_free(session, data["price_list_id"], data["code"])
    now = utcnow()
    item = PriceListItem(price_list_id=data["price_list_id"], group_id=data.get("group_id"),
                         code=data["code"],
                         code_key=key(data["code"]), name=data["name"], price=data.get("price", 0),
                         taxable=data.get("taxable", True), item_type=data.get("item_type", STANDARD),
                         active=data.get("active", True), uses=0, created_at=now, updated_at=now)
    _apply_promotion(item, data.get("promotion"))
    if item.coupon_code:
        _check_coupon_free(session, item.coupon_code)
    session.add(item)
    session.flush()
    return item_to_dict(item)


def update_item(session, item_id, payload):
    """Change an item; everything is checked against the item as it will be before anything changes."""
    data = load(PriceListItemInSchema(), payload, partial=True)
    item = get_item(session, item_id)
    if "price_list_id" in data and data["price_list_id"] != item.price_list_id:
        raise Unprocessable("an item stays in its price list; create it in the other list instead",
                            {"price_list_id": "cannot be changed"})
    item_type = data.get("item_type", item.item_type)
    promotion = data.get("promotion") if "promotion" in data else ...
    if item_type == STANDARD and promotion not in (None, ...):
        raise ValidationError("only promotional items carry a promotion",
                              {"promotion": "only promotional items carry a promotion"})
    if item_type == PROMOTIONAL and (promotion is None or (promotion is ... and item.coupon_code is None)):
        raise ValidationError("a promotional item needs its promotion",
                              {"promotion": "a promotional item needs its promotion"})
    if "group_id" in data:
        _check_group(session, item.price_list_id, data["group_id"])
    if "code" in data:
        _check_code_free(session, item.price_list_id, data["code"], exclude_id=item.id)
    if item_type == PROMOTIONAL and promotion is not ...:
        _check_coupon_free(session, promotion["coupon_code"].upper(), exclude_id=item.id)
    if "code" in data:
        item.code, item.code_key = data["code"], key(data["code"])
    for field in ("group_id", "name", "price", "taxable", "active", "item_type"):
        if field in data:
            setattr(item, field, data[field])
    if item_type == STANDARD:
        _apply_promotion(item, None)
    elif promotion is not ...:
        _apply_promotion(item, promotion)
    item.updated_at = utcnow()
    session.flush()
    return item_to_dict(item)


def list_items(session, args):
    args = load(PriceListItemArgs(), args or {})
    stmt = select(PriceListItem)
    if args["price_list_id"] is not None:
        stmt = stmt.where(PriceListItem.price_list_id == args["price_list_id"])
    if args["group_id"] is not None:
        stmt = stmt.where(PriceListItem.group_id == args["group_id"])
    if args["item_type"] is not None:
        stmt = stmt.where(PriceListItem.item_type == args["item_type"])
    if args["active"] is not None:
        stmt = stmt.where(PriceListItem.active == args["active"])
    if args["q"]:
        prefix = key(args["q"]).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(PriceListItem.code_key.like(prefix, escape="\\"),
                              func.lower(PriceListItem.name).like(prefix, escape="\\")))
    after = decode_cursor(args["cursor"], 1)
    if after is not None:
        stmt = stmt.where(PriceListItem.id > after[0])
    rows = session.scalars(stmt.order_by(PriceListItem.id).limit(args["limit"] + 1)).all()
    more = len(rows) > args["limit"]
    rows = rows[:args["limit"]]
    return {"items": [item_to_dict(r) for r in rows],
            "next_cursor": encode_cursor([rows[-1].id]) if more and rows else None}

