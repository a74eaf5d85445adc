"""Coupons: a promotional item's code applied to an invoice.

A code is checked against the promotion's rules in this order, and the first rule that
refuses it is named (422, field ``coupon_code``, the reason starting with the rule):
``unknown`` (no active promotional item has the code), ``not_started`` / ``expired`` (the
invoice date is outside ``starts_on``..``ends_on``), ``used_up`` (``max_uses`` invoices have
used it), ``below_minimum`` (the line subtotal is under ``min_subtotal``).

A use is counted once per invoice, by ``UPDATE ... SET uses = uses + 1 WHERE uses < max_uses``
in the invoice's transaction: the row lock (PostgreSQL) or the write lock (SQLite) makes two
invoices racing for the last use see each other, so exactly one gets it. Removing the coupon
from an invoice, or voiding the invoice, gives its use back.
"""
from sqlalchemy import or_, select, update

from proofsheet_shared.errors import Unprocessable

from .models import PROMOTIONAL, PriceListItem

FIELD = "coupon_code"


def _money(cents):
    return f"{cents // 100}.{cents % 100:02d}"


def refuse(rule, why, code):
    raise Unprocessable(f"coupon {code} cannot be used: {why}", {FIELD: f"{rule}: {why}"})


def find_coupon(session, code):
    item = session.scalar(select(PriceListItem).where(PriceListItem.coupon_code == code.upper(),
                                                      PriceListItem.item_type == PROMOTIONAL))
    if item is None or not item.active:
        refuse("unknown", "no active promotion has this code", code)
    return item


def check_coupon(item, code, on_date, subtotal, count_uses=True):
    """Every rule but the atomic use count (``count_uses`` checks the count as it stands)."""
    if item.starts_on and on_date < item.starts_on:
        refuse("not_started", f"the promotion starts on {item.starts_on.isoformat()}", code)
    if item.ends_on and on_date > item.ends_on:
        refuse("expired", f"the promotion ended on {item.ends_on.isoformat()}", code)
    if count_uses and item.max_uses is not None and item.uses >= item.max_uses:
        refuse("used_up", f"all {item.max_uses} uses have been taken", code)
    if subtotal < (item.min_subtotal or 0):
        refuse("below_minimum", f"the subtotal {_money(subtotal)} is under the minimum "
                                f"{_money(item.min_subtotal)}", code)


def claim_use(session, item, code):
    """Count one use, or refuse with ``used_up`` if the last one was taken meanwhile."""
    taken = session.execute(
        update(PriceListItem)
        .where(PriceListItem.id == item.id,
               or_(PriceListItem.max_uses.is_(None), PriceListItem.uses < PriceListItem.max_uses))
        .values(uses=PriceListItem.uses + 1)
        .returning(PriceListItem.uses)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if taken is None:
        refuse("used_up", f"all {item.max_uses} uses have been taken", code)
    session.expire(item, ["uses"])
    return taken


def release_use(session, item_id):
    session.execute(update(PriceListItem).where(PriceListItem.id == item_id, PriceListItem.uses > 0)
                    .values(uses=PriceListItem.uses - 1).execution_options(synchronize_session=False))
    item = session.identity_map.get(session.identity_key(PriceListItem, item_id))
    if item is not None:
        session.expire(item, ["uses"])
