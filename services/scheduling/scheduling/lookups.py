"""Scheduling settings, session types and the studio's ordered list of session statuses."""

import time
import unicodedata

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from proofsheet_shared.contracts.scheduling import (
    SchedulingSettingsSchema,
    SessionStatusInSchema,
    SessionTypeInSchema,
)
from proofsheet_shared.errors import Conflict, NotFound, Unprocessable
from proofsheet_shared.schemas import load
from proofsheet_shared.types import utcnow

from .models import SchedulingSettings, Session, SessionStatus, SessionType


def key(text):
    """Case- and accent-insensitive form of a name, for uniqueness (and room matching)."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())[:100]


# --- settings ------------------------------------------------------------------------------------


def get_settings(session):
    row = session.get(SchedulingSettings, 1)
    if row is None:
        row = SchedulingSettings(
            id=1,
            conflict_mode="never",
            prepayment_required=False,
            prepayment_threshold=0,
            updated_at=utcnow(),
        )
        session.add(row)
        session.flush()
    return row


def settings_to_dict(row):
    return {
        "conflict_mode": row.conflict_mode,
        "prepayment_required": row.prepayment_required,
        "prepayment_threshold": row.prepayment_threshold,
    }


def update_settings(session, payload):
    data = load(SchedulingSettingsSchema(), payload, partial=True)
    row = get_settings(session)
    for field, value in data.items():
        setattr(row, field, value)
    row.updated_at = utcnow()
    session.flush()
    return settings_to_dict(row)


# --- session types ---------------------------------------------------------------------------------


def type_to_dict(row):
    return {
        "id": row.id,
        "name": row.name,
        "duration_minutes": row.duration_minutes,
        "price_item_ids": list(row.price_item_ids or []),
        "sort_order": row.sort_order,
        "active": row.active,
    }


def get_type(session, type_id, field="id"):
    row = session.get(SessionType, type_id) if type_id is not None else None
    if row is None:
        raise NotFound(f"session type {type_id} does not exist", {field: "not found"})
    return row


def list_types(session):
    rows = session.scalars(
        select(SessionType).order_by(SessionType.sort_order, SessionType.name_key, SessionType.id)
    )
    return {"items": [type_to_dict(r) for r in rows], "next_cursor": None}


_NAMES = {}
NAMES_TTL = 5.0


def type_names(connection, wanted=()):
    """``{type id: name}`` (for calendars and feeds), kept for ``NAMES_TTL`` seconds per
    database: read again sooner when a type in ``wanted`` is not known yet (a renamed type
    shows its old name for a few seconds)."""
    bind = connection.get_bind() if hasattr(connection, "get_bind") else connection.engine
    key = str(bind.url)
    cached = _NAMES.get(key)
    now = time.monotonic()
    if cached is None or cached[0] < now or any(w not in cached[1] for w in wanted):
        cached = _NAMES[key] = (
            now + NAMES_TTL,
            dict(connection.execute(select(SessionType.id, SessionType.name)).all()),
        )
    return cached[1]


def _name_free(session, model, name, exclude_id=None, what="session type"):
    stmt = select(model.id).where(model.name_key == key(name))
    if exclude_id is not None:
        stmt = stmt.where(model.id != exclude_id)
    if session.scalar(stmt) is not None:
        raise Conflict(f"a {what} named '{name}' already exists", {"name": "already exists"})


def _flush(session, message, add=None):
    if add is not None:
        session.add(add)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(message, {"name": "already exists"}) from None


def create_type(session, payload, check_items):
    """``check_items(ids)`` raises NotFound naming ``price_item_ids.N`` for an unknown item."""
    data = load(SessionTypeInSchema(), payload)
    _name_free(session, SessionType, data["name"])
    items = list(dict.fromkeys(data.get("price_item_ids") or []))
    if items:
        check_items(items)
    if "sort_order" not in data:
        data["sort_order"] = (session.scalar(select(func.max(SessionType.sort_order))) or 0) + 10
    row = SessionType(
        name=data["name"],
        name_key=key(data["name"]),
        duration_minutes=data["duration_minutes"],
        price_item_ids=items,
        sort_order=data["sort_order"],
        active=data.get("active", True),
    )
    _flush(session, f"a session type named '{data['name']}' already exists", add=row)
    _NAMES.clear()
    return type_to_dict(row)


def update_type(session, type_id, payload, check_items):
    data = load(SessionTypeInSchema(), payload, partial=True)
    row = get_type(session, type_id)
    if "name" in data:
        _name_free(session, SessionType, data["name"], exclude_id=row.id)
        row.name, row.name_key = data["name"], key(data["name"])
    if "price_item_ids" in data:
        items = list(dict.fromkeys(data["price_item_ids"] or []))
        if items:
            check_items(items)
        row.price_item_ids = items
    for field in ("duration_minutes", "sort_order", "active"):
        if field in data:
            setattr(row, field, data[field])
    _flush(session, f"a session type named '{row.name}' already exists")
    _NAMES.clear()
    return type_to_dict(row)


def delete_type(session, type_id):
    row = get_type(session, type_id)
    used = session.scalar(select(func.count()).select_from(Session).where(Session.session_type_id == row.id))
    if used:
        raise Conflict(
            f"session type '{row.name}' is used by {used} sessions; set active to false instead",
            {"id": f"in use by {used} sessions"},
        )
    session.delete(row)
    session.flush()
    return {"deleted": type_id}


# --- session statuses --------------------------------------------------------------------------------


def status_to_dict(row):
    return {"id": row.id, "name": row.name, "sort_order": row.sort_order}


def ordered_statuses(session):
    return list(session.scalars(select(SessionStatus).order_by(SessionStatus.sort_order, SessionStatus.id)))


def first_status(session):
    statuses = ordered_statuses(session)
    if not statuses:
        raise Unprocessable("there are no session statuses yet; add one first", {"status_id": "no statuses"})
    return statuses[0]


def get_status(session, status_id, field="id"):
    row = session.get(SessionStatus, status_id) if status_id is not None else None
    if row is None:
        raise NotFound(f"session status {status_id} does not exist", {field: "not found"})
    return row


def list_statuses(session):
    return {"items": [status_to_dict(s) for s in ordered_statuses(session)], "next_cursor": None}


def create_status(session, payload):
    data = load(SessionStatusInSchema(), payload)
    _name_free(session, SessionStatus, data["name"], what="session status")
    if "sort_order" not in data:
        data["sort_order"] = (session.scalar(select(func.max(SessionStatus.sort_order))) or 0) + 10
    row = SessionStatus(name=data["name"], name_key=key(data["name"]), sort_order=data["sort_order"])
    _flush(session, f"a session status named '{data['name']}' already exists", add=row)
    return status_to_dict(row)


def update_status(session, status_id, payload):
    data = load(SessionStatusInSchema(), payload, partial=True)
    row = get_status(session, status_id)
    if "name" in data:
        _name_free(session, SessionStatus, data["name"], exclude_id=row.id, what="session status")
        row.name, row.name_key = data["name"], key(data["name"])
    if "sort_order" in data:
        row.sort_order = data["sort_order"]
    _flush(session, f"a session status named '{row.name}' already exists")
    return status_to_dict(row)


def delete_status(session, status_id):
    row = get_status(session, status_id)
    used = session.scalar(select(func.count()).select_from(Session).where(Session.status_id == row.id))
    if used:
        raise Conflict(
            f"session status '{row.name}' is used by {used} sessions; move them first",
            {"id": f"in use by {used} sessions"},
        )
    session.delete(row)
    session.flush()
    return {"deleted": status_id}
