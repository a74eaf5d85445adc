"""Booking, changing, cancelling, reading and listing sessions (one-off or a series).

Every check runs before anything is written: the input (schema, times, recurrence), the
type and status (this database), the staff and the client (other services, asked at the
same time), the client rules (inactive: 422; saturday_only: a warning), the pre-payment
rule (invoicing), then, with the resources locked, the conflicts. Each session written
publishes an event through the outbox in the same transaction.
"""

import datetime as dt

from sqlalchemy import and_, false, func, or_, select, true, tuple_, update

from proofsheet_shared.contracts.scheduling import (
    CancelInSchema,
    SESSION_MAX_HOURS,
    SessionInSchema,
    SessionListArgs,
)
from proofsheet_shared.errors import NotFound, Unprocessable, ValidationError
from proofsheet_shared.outbox_bulk import publish_many
from proofsheet_shared.schemas import decode_cursor, encode_cursor, load
from proofsheet_shared.types import utcnow

from . import conflicts, lookups, recurrence
from .models import Appointment, Session, SessionSeries
from .serialize import client_label, session_to_dict
from .timeutil import localize, range_bounds, to_local_naive, to_utc, zone

SESSION_MAX = dt.timedelta(hours=SESSION_MAX_HOURS)
STAFF_FIELDS = ("photographer_id", "assistant_id")
PLAIN_FIELDS = ("photographer_id", "assistant_id", "organization_id", "notes")
_COLUMNS = tuple(Session.__table__.c)


# --- reading ----------------------------------------------------------------------------------------


def get_row(session, session_id, field="id", lock=False):
    stmt = select(Session).where(Session.id == session_id)
    if lock:
        stmt = stmt.with_for_update()
    row = session.scalar(stmt) if session_id is not None else None
    if row is None:
        raise NotFound(f"session {session_id} does not exist", {field: "not found"})
    return row


def _rrules(connection, series_ids):
    ids = sorted({i for i in series_ids if i is not None})
    if not ids:
        return {}
    return dict(
        connection.execute(
            select(SessionSeries.id, SessionSeries.rrule).where(SessionSeries.id.in_(ids))
        ).all()
    )


def to_dict(connection, row, tz):
    return session_to_dict(row, tz, _rrules(connection, [row.series_id]).get(row.series_id))


def get_session(connection, session_id, tz_name):
    """One session (``connection``: the worker's autocommit read, or a Session)."""
    row = connection.execute(select(*_COLUMNS).where(Session.id == session_id)).first()
    if row is None:
        raise NotFound(f"session {session_id} does not exist", {"id": "not found"})
    return to_dict(connection, row, zone(tz_name))


def list_sessions(connection, args, tz_name):
    """Sessions by start time (then id), filtered; ``from``/``to`` are dates or timestamps."""
    tz = zone(tz_name)
    args = load(SessionListArgs(), args or {})
    stmt = select(*_COLUMNS)
    for name in (
        "client_id",
        "session_type_id",
        "status_id",
        "photographer_id",
        "assistant_id",
        "organization_id",
        "series_id",
    ):
        if args.get(name) is not None:
            stmt = stmt.where(getattr(Session, name) == args[name])
    if args.get("cancelled") is not None:
        stmt = stmt.where(Session.cancelled == (true() if args["cancelled"] else false()))
    if args.get("starts_from") is not None or args.get("starts_to") is not None:
        lower, upper = range_bounds(
            args.get("starts_from") or dt.date(1970, 1, 1), args.get("starts_to") or dt.date(9998, 12, 30), tz
        )
        stmt = stmt.where(Session.starts_at >= lower, Session.starts_at < upper)
    values = decode_cursor(args.get("cursor"), 2)
    if values is not None:
        try:
            after = (dt.datetime.fromisoformat(values[0]), int(values[1]))
        except (TypeError, ValueError):
            raise ValidationError(
                "the cursor is not one this API gave out", {"cursor": "invalid cursor"}
            ) from None
        stmt = stmt.where(tuple_(Session.starts_at, Session.id) > tuple_(after[0], after[1]))
    limit = args["limit"]
    rows = connection.execute(stmt.order_by(Session.starts_at, Session.id).limit(limit + 1)).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1].starts_at.isoformat(), rows[-1].id])
    rrules = _rrules(connection, [r.series_id for r in rows])
    return {
        "items": [session_to_dict(r, tz, rrules.get(r.series_id)) for r in rows],
        "next_cursor": next_cursor,
    }


def client_references(session, client_id):
    """What the clients service asks before deleting a client: its sessions not cancelled."""
    count = session.scalar(
        select(func.count())
        .select_from(Session)
        .where(Session.client_id == client_id, Session.cancelled == false())
    )
    return {"sessions": count}


# --- checks shared by sessions and appointments --------------------------------------------------


def require_staff(links, staff_fields):
    """Every id in ``{field: staff id}`` must be an active staff user; 404 naming the field."""
    wanted = {v for v in staff_fields.values() if v is not None}
    if not wanted:
        return
    found = links.staff(wanted)
    for field, staff_id in staff_fields.items():
        if staff_id is None:
            continue
        row = found.get(staff_id)
        if row is None or not row.get("active", True):
            raise NotFound(
                f"there is no active staff user {staff_id}", {field: f"no active staff user {staff_id}"}
            )


def client_rules(client, spans, tz):
    """Refuse an inactive client (422); warn when a saturday_only client is booked on another day."""
    client_id = client.get("id")
    if client.get("active") is False:
        raise Unprocessable(
            f"client {client_id} is inactive (since {client.get('inactive_date')}): no new sessions",
            {"client_id": "inactive"},
        )
    inactive = client.get("inactive_date")
    if inactive:
        cutoff = dt.date.fromisoformat(inactive)
        for starts, _ends in spans:
            if starts.astimezone(tz).date() >= cutoff:
                raise Unprocessable(
                    f"client {client_id} becomes inactive on {inactive}; the session on "
                    f"{starts.astimezone(tz).date()} is not before that",
                    {"starts_at": f"on or after the client's inactive date {inactive}"},
                )
    warnings = []
    if client.get("saturday_only"):
        days = sorted(
            {starts.astimezone(tz).date() for starts, _ in spans if starts.astimezone(tz).weekday() != 5}
        )
        if days:
            listed = ", ".join(d.isoformat() for d in days[:5]) + (" ..." if len(days) > 5 else "")
            warnings.append(
                {
                    "code": "saturday_only",
                    "field": "starts_at",
                    "message": f"client {client_id} books Saturdays only; this is not a Saturday: {listed}",
                }
            )
    return warnings


def prepayment_rule(settings, links, client_id):
    """With pre-payment on, the client's credit on account must cover the threshold."""
    if not settings.prepayment_required or settings.prepayment_threshold <= 0:
        return
    credit = links.credit_on_account(client_id)
    threshold = settings.prepayment_threshold
    if credit < threshold:
        missing = threshold - credit
        raise Unprocessable(
            f"pre-payment required: client {client_id} has {credit} on account, the threshold is "
            f"{threshold}; {missing} missing",
            {
                "client_id": f"pre-payment: {missing} missing (credit on account {credit}, "
                f"threshold {threshold})"
            },
        )


def check_span(starts, ends, max_length=SESSION_MAX, what="a session"):
    if ends <= starts:
        raise ValidationError("the end is not after the start", {"ends_at": "must be after starts_at"})
    if ends - starts > max_length:
        hours = int(max_length.total_seconds() // 3600)
        raise ValidationError(
            f"{what} lasts at most {hours} hours", {"ends_at": f"at most {hours} hours after starts_at"}
        )


def _room(value):
    return (value, lookups.key(value) or None) if value else (None, None)


# --- booking -----------------------------------------------------------------------------------------


def create_session(db, payload, user_id, links, tz_name):
    session = db.session
    tz = zone(tz_name)
    data = load(SessionInSchema(), payload)
    data.pop("scope", None)
    session_type = lookups.get_type(session, data["session_type_id"], field="session_type_id")
    if not session_type.active:
        raise Unprocessable(
            f"session type '{session_type.name}' is inactive: no new sessions of it",
            {"session_type_id": "inactive"},
        )
    if data.get("status_id") is not None:
        status = lookups.get_status(session, data["status_id"], field="status_id")
    else:
        status = lookups.first_status(session)
    starts = to_utc(data["starts_at"], tz, "starts_at")
    if data.get("ends_at") is not None:
        ends = to_utc(data["ends_at"], tz, "ends_at")
    else:
        ends = starts + dt.timedelta(minutes=session_type.duration_minutes)
    check_span(starts, ends)
    if data.get("photographer_id") and data.get("photographer_id") == data.get("assistant_id"):
        raise ValidationError(
            "the photographer cannot also be the assistant",
            {"assistant_id": "the same staff user as the photographer"},
        )
    rule = None
    if data.get("recurrence"):
        rule = recurrence.normalise(data["recurrence"]["rrule"])
        spans = [
            (s.astimezone(dt.timezone.utc), e.astimezone(dt.timezone.utc))
            for s, e in recurrence.expand(rule, to_local_naive(starts, tz), ends - starts, tz)
        ]
    else:
        spans = [(starts, ends)]

    client_answer = links.soon(links.client, data["client_id"])
    staff_fields = {f: data.get(f) for f in STAFF_FIELDS}
    require_staff(links, staff_fields)
    client = client_answer.wait()
    warnings = client_rules(client, spans, tz)
    settings = lookups.get_settings(session)
    prepayment_rule(settings, links, data["client_id"])

    room, room_key = _room(data.get("room"))
    found = []
    if settings.conflict_mode != "allow":
        conflicts.lock_resources(session, conflicts.resource_keys(staff_fields.values(), room_key))
        for index, (s, e) in enumerate(spans):
            found += conflicts.find(
                session, s, e, staff_fields, room_key, tz, occurrence=index if rule else None
            )
    found = conflicts.settle(settings.conflict_mode, found)

    now = utcnow()
    series = None
    if rule:
        series = SessionSeries(
            rrule=rule,
            dtstart_local=to_local_naive(starts, tz).isoformat(timespec="seconds"),
            time_zone=tz.key,
            created_at=now,
            created_by=user_id,
        )
        session.add(series)
        session.flush()
    rows = []
    for s, e in spans:
        rows.append(
            Session(
                client_id=data["client_id"],
                client_name=client_label(client),
                session_type_id=session_type.id,
                status_id=status.id,
                starts_at=s,
                ends_at=e,
                photographer_id=data.get("photographer_id"),
                assistant_id=data.get("assistant_id"),
                room=room,
                room_key=room_key,
                organization_id=data.get("organization_id"),
                notes=data.get("notes"),
                series_id=series.id if series else None,
                cancelled=False,
                sequence=0,
                created_at=now,
                updated_at=now,
                created_by=user_id,
                updated_by=user_id,
            )
        )
    session.add_all(rows)
    session.flush()
    shown = [session_to_dict(r, tz, rule) for r in rows]
    publish_many(db, "session_created", [{"session": s} for s in shown])
    result = dict(shown[0])
    result["conflicts"] = found
    result["warnings"] = warnings
    if series is not None:
        result["series"] = {
            "id": series.id,
            "rrule": rule,
            "session_ids": [r.id for r in rows],
            "occurrences": [
                {"id": s["id"], "starts_at": s["starts_at"], "ends_at": s["ends_at"]} for s in shown
            ],
        }
    return result


# --- changing ----------------------------------------------------------------------------------------


def _targets(session, row, scope):
    """The session, or (scope ``following``) it and the later live sessions of its series."""
    if scope != "following" or row.series_id is None:
        return [row]
    later = list(
        session.scalars(
            select(Session)
            .where(
                Session.series_id == row.series_id,
                Session.cancelled == false(),
                or_(
                    Session.starts_at > row.starts_at,
                    and_(Session.starts_at == row.starts_at, Session.id > row.id),
                ),
            )
            .order_by(Session.starts_at, Session.id)
            .with_for_update()
        )
    )
    return [row] + later


def update_session(db, session_id, payload, user_id, links, tz_name):
    """Change a session, or with ``scope: following`` it and the later sessions of its series:
    a new start moves each of them by the same wall-clock shift (10:00 → 11:00 stays 11:00
    across a DST change); other fields are set on all of them."""
    session = db.session
    tz = zone(tz_name)
    data = load(SessionInSchema(), payload, partial=True)
    scope = data.pop("scope", "this")
    if "recurrence" in data:
        raise ValidationError(
            "a series' rule is set when it is booked; cancel the following sessions and book "
            "a new series instead",
            {"recurrence": "only when the session is booked"},
        )
    row = get_row(session, session_id, lock=True)
    if row.cancelled:
        raise Unprocessable(f"session {row.id} is cancelled; book a new one", {"id": "cancelled"})
    if not data:
        return dict(to_dict(session, row, tz), conflicts=[], warnings=[], updated_sessions=[])

    session_type = None
    if "session_type_id" in data and data["session_type_id"] != row.session_type_id:
        session_type = lookups.get_type(session, data["session_type_id"], field="session_type_id")
        if not session_type.active:
            raise Unprocessable(
                f"session type '{session_type.name}' is inactive", {"session_type_id": "inactive"}
            )
    if "status_id" in data:
        if data["status_id"] is None:
            raise ValidationError("a session always has a status", {"status_id": "must not be null"})
        lookups.get_status(session, data["status_id"], field="status_id")
    targets = _targets(session, row, scope)

    # the first session's new span; the others shift by the same wall-clock amount
    new_starts = to_utc(data["starts_at"], tz, "starts_at") if data.get("starts_at") else row.starts_at
    if data.get("ends_at") is not None:
        new_ends = to_utc(data["ends_at"], tz, "ends_at")
    elif "starts_at" in data:
        new_ends = new_starts + (row.ends_at - row.starts_at)
    else:
        new_ends = row.ends_at
    check_span(new_starts, new_ends)
    times_changed = (new_starts, new_ends) != (row.starts_at, row.ends_at)
    shift = to_local_naive(new_starts, tz) - to_local_naive(row.starts_at, tz)
    length = new_ends - new_starts
    spans = {}
    for target in targets:
        if target is row:
            spans[target.id] = (new_starts, new_ends)
        elif times_changed:
            local = to_local_naive(target.starts_at, tz) + shift
            starts = localize(local, tz, "starts_at").astimezone(dt.timezone.utc)
            spans[target.id] = (starts, starts + length)
        else:
            spans[target.id] = (target.starts_at, target.ends_at)

    photographer = data["photographer_id"] if "photographer_id" in data else row.photographer_id
    assistant = data["assistant_id"] if "assistant_id" in data else row.assistant_id
    if photographer is not None and photographer == assistant:
        raise ValidationError(
            "the photographer cannot also be the assistant",
            {"assistant_id": "the same staff user as the photographer"},
        )
    new_staff = {f: data[f] for f in STAFF_FIELDS if f in data and data[f] is not None}
    require_staff(links, new_staff)
    client = None
    warnings = []
    if "client_id" in data and data["client_id"] != row.client_id:
        client = links.client(data["client_id"])
    if client is not None or times_changed:
        warnings = client_rules(client or links.client(row.client_id), list(spans.values()), tz)

    room, room_key = _room(data["room"]) if "room" in data else (row.room, row.room_key)
    settings = lookups.get_settings(session)
    found = []
    resources_changed = times_changed or any(f in data for f in STAFF_FIELDS + ("room",))
    if settings.conflict_mode != "allow" and resources_changed:
        ids = {t.id for t in targets}
        staff_keys = set()
        per_target = []
        for target in targets:
            staff_fields = {
                "photographer_id": data["photographer_id"]
                if "photographer_id" in data
                else target.photographer_id,
                "assistant_id": data["assistant_id"] if "assistant_id" in data else target.assistant_id,
            }
            target_room_key = room_key if "room" in data else target.room_key
            staff_keys |= conflicts.resource_keys(staff_fields.values(), target_room_key)
            per_target.append((target, staff_fields, target_room_key))
        conflicts.lock_resources(session, staff_keys)
        for index, (target, staff_fields, target_room_key) in enumerate(per_target):
            s, e = spans[target.id]
            found += conflicts.find(
                session,
                s,
                e,
                staff_fields,
                target_room_key,
                tz,
                exclude_sessions=ids,
                occurrence=index if len(targets) > 1 else None,
            )
    found = conflicts.settle(settings.conflict_mode, found)

    now = utcnow()
    updated, events, status_events = [], [], []
    for target in targets:
        before = session_to_dict(target, tz)
        old_status = target.status_id
        target.starts_at, target.ends_at = spans[target.id]
        if session_type is not None:
            target.session_type_id = session_type.id
        if "status_id" in data:
            target.status_id = data["status_id"]
        if client is not None:
            target.client_id, target.client_name = client["id"], client_label(client)
        for field in PLAIN_FIELDS:
            if field in data:
                setattr(target, field, data[field])
        if "room" in data:
            target.room, target.room_key = room, room_key
        after = session_to_dict(target, tz)
        changed = sorted(k for k in after if after[k] != before[k])
        if not changed:
            continue
        target.sequence += 1
        target.updated_at, target.updated_by = now, user_id
        updated.append(target)
        events.append((target, changed))
        if target.status_id != old_status:
            status_events.append(status_changed_event(target, old_status, target.status_id))
    session.flush()
    rrules = _rrules(session, [row.series_id])
    publish_many(
        db,
        "session_updated",
        [
            {"session": session_to_dict(t, tz, rrules.get(t.series_id)), "changed": changed}
            for t, changed in events
        ],
    )
    if status_events:
        publish_many(db, "session_status_changed", status_events)
    result = session_to_dict(row, tz, rrules.get(row.series_id))
    result.update(conflicts=found, warnings=warnings, updated_sessions=[t.id for t in updated])
    return result


def status_changed_event(row, from_status_id, to_status_id):
    return {
        "session_id": row.id,
        "client_id": row.client_id,
        "session_type_id": row.session_type_id,
        "from_status_id": from_status_id,
        "to_status_id": to_status_id,
        "photographer_id": row.photographer_id,
        "assistant_id": row.assistant_id,
    }


def cancel_session(db, session_id, payload, user_id, tz_name):
    """Cancel a session, or (``scope: following``) it and the later sessions of its series.
    Cancelling a cancelled session changes nothing."""
    session = db.session
    tz = zone(tz_name)
    data = load(CancelInSchema(), payload or {})
    row = get_row(session, session_id, lock=True)
    targets = [t for t in _targets(session, row, data["scope"]) if not t.cancelled]
    now = utcnow()
    for target in targets:
        target.cancelled, target.cancelled_at, target.cancelled_by = True, now, user_id
        target.sequence += 1
        target.updated_at, target.updated_by = now, user_id
    session.flush()
    rrules = _rrules(session, [row.series_id])
    publish_many(
        db,
        "session_cancelled",
        [
            {"session": session_to_dict(t, tz, rrules.get(t.series_id)), "reason": data.get("reason")}
            for t in targets
        ],
    )
    return {
        "cancelled": [t.id for t in targets],
        "session": session_to_dict(row, tz, rrules.get(row.series_id)),
    }


def rename_client(session, client):
    """The clients service renamed a client: the name shown on its sessions and appointments follows."""
    name = client_label(client)
    client_id = client.get("id")
    if client_id is None:
        return 0
    changed = session.execute(
        update(Session)
        .where(Session.client_id == client_id, Session.client_name != name)
        .values(client_name=name)
        .execution_options(synchronize_session=False)
    ).rowcount
    changed += session.execute(
        update(Appointment)
        .where(Appointment.client_id == client_id)
        .values(client_name=name)
        .execution_options(synchronize_session=False)
    ).rowcount
    return changed
