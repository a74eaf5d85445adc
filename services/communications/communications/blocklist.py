"""Addresses never sent to again: bounced (a permanent SMTP refusal) or unsubscribed."""

from sqlalchemy import delete, insert, select

from proofsheet_shared.contracts.communications import BlockedAddressInSchema
from proofsheet_shared.errors import ValidationError, not_found
from proofsheet_shared.schemas import PageArgs, decode_cursor, encode_cursor, load

from . import secrets
from .models import BlockedAddress
from .serialize import blocked_to_dict


def key(address):
    return (address or "").strip().lower()


def block(session_or_conn, address, reason, detail=None, client_id=None, campaign_id=None):
    """Block ``address`` (a no-op when it already is); True if it was newly blocked."""
    k = key(address)
    if not k:
        return False
    if session_or_conn.execute(select(BlockedAddress.email_key).where(BlockedAddress.email_key == k)).first():
        return False
    from sqlalchemy.exc import IntegrityError

    try:
        with session_or_conn.begin_nested():
            session_or_conn.execute(
                insert(BlockedAddress).values(
                    email_key=k,
                    email=address.strip(),
                    reason=reason,
                    detail=(detail or "")[:500] or None,
                    client_id=client_id,
                    campaign_id=campaign_id,
                )
            )
    except IntegrityError:
        return False
    return True


def blocked_among(session_or_conn, addresses):
    """``{lower-cased address: reason}`` of those among ``addresses`` that are blocked."""
    keys = sorted({key(a) for a in addresses if a})
    found = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        for row in session_or_conn.execute(
            select(BlockedAddress.email_key, BlockedAddress.reason).where(BlockedAddress.email_key.in_(chunk))
        ):
            found[row.email_key] = row.reason
    return found


def unsubscribe(session, token):
    data = secrets.get().read_unsubscribe_token(token)
    if data is None:
        raise ValidationError("this unsubscribe link is not valid", {"token": "invalid or altered"})
    block(
        session,
        data["email"],
        "unsubscribed",
        "unsubscribe link",
        data.get("client_id"),
        data.get("campaign_id"),
    )
    return {"email": data["email"], "unsubscribed": True}


def list_blocked(session, args):
    args = load(PageArgs(), args or {})
    after = decode_cursor(args.get("cursor"), 1)
    stmt = select(BlockedAddress)
    if after is not None:
        stmt = stmt.where(BlockedAddress.email_key > after[0])
    rows = list(session.scalars(stmt.order_by(BlockedAddress.email_key).limit(args["limit"] + 1)))
    next_cursor = None
    if len(rows) > args["limit"]:
        rows = rows[: args["limit"]]
        next_cursor = encode_cursor([rows[-1].email_key])
    return {"items": [blocked_to_dict(r) for r in rows], "next_cursor": next_cursor}


def add_blocked(session, payload):
    data = load(BlockedAddressInSchema(), payload)
    block(session, data["email"], data["reason"], "added by staff")
    return blocked_to_dict(session.get(BlockedAddress, key(data["email"])))


def remove_blocked(session, address):
    if not session.execute(delete(BlockedAddress).where(BlockedAddress.email_key == key(address))).rowcount:
        raise not_found("blocked address", address, "email")
