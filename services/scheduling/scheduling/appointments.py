"""Appointments: internal bookings (a consultation, a picture-day block) of one or more staff,
optionally for a client and a room. They conflict with sessions and other appointments like
sessions do. Deleting one cancels it: it is gone from the API and the calendar, and the
ICS feeds show it as cancelled so subscribed calendars drop it."""

import datetime as dt

from sqlalchemy import false, select, tuple_

from proofsheet_shared.contracts.scheduling import AppointmentInSchema, AppointmentListArgs
from proofsheet_shared.errors import NotFound, ValidationError
from proofsheet_shared.schemas import decode_cursor, encode_cursor, load
from proofsheet_shared.types import utcnow

from . import conflicts, lookups
from .models import Appointment, AppointmentStaff
from .serialize import appointment_to_dict, client_label
from .sessions import check_span, require_staff
from .timeutil import range_bounds, to_utc, zone

PLAIN_FIELDS = ("title", "organization_id", "notes")


def get_row(session, appointment_id, field="id"):
    row = session.get(Appointment, appointment_id) if appointment_id is not None else None
    if row is None or row.cancelled:
        raise NotFound(f"appointment {appointment_id} does not exist", {field: "not found"})
    return row


def staff_of(connection, appointment_ids):
    found = {i: [] for i in appointment_ids}
    if appointment_ids:
        for link in connection.execute(
            select(AppointmentStaff.appointment_id, AppointmentStaff.staff_id).where(
                AppointmentStaff.appointment_id.in_(list(appointment_ids))
            )
        ):
            found.setdefault(link.appointment_id, []).append(link.staff_id)
    return found


def get_appointment(session, appointment_id, tz_name):
    row = get_row(session, appointment_id)
    return appointment_to_dict(row, staff_of(session, [row.id])[row.id], zone(tz_name))


def list_appointments(connection, args, tz_name):
    tz = zone(tz_name)
    args = load(AppointmentListArgs(), args or {})
    stmt = select(Appointment).where(Appointment.cancelled == false())
    if args.get("staff_id") is not None:
        stmt = stmt.where(
            Appointment.id.in_(
                select(AppointmentStaff.appointment_id).where(AppointmentStaff.staff_id == args["staff_id"])
            )
        )
    for name in ("client_id", "organization_id"):
        if args.get(name) is not None:
            stmt = stmt.where(getattr(Appointment, name) == args[name])
    if args.get("starts_from") is not None or args.get("starts_to") is not None:
        lower, upper = range_bounds(
            args.get("starts_from") or dt.date(1970, 1, 1), args.get("starts_to") or dt.date(9998, 12, 30), tz
        )
        stmt = stmt.where(Appointment.starts_at >= lower, Appointment.starts_at < upper)
    values = decode_cursor(args.get("cursor"), 2)
    if values is not None:
        try:
            after = (dt.datetime.fromisoformat(values[0]), int(values[1]))
        except (TypeError, ValueError):
            raise ValidationError(
                "the cursor is not one this API gave out", {"cursor": "invalid cursor"}
            ) from None
        stmt = stmt.where(tuple_(Appointment.starts_at, Appointment.id) > tuple_(after[0], after[1]))
    limit = args["limit"]
    rows = list(connection.scalars(stmt.order_by(Appointment.starts_at, Appointment.id).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1].starts_at.isoformat(), rows[-1].id])
    staff = staff_of(connection, [r.id for r in rows])
    return {"items": [appointment_to_dict(r, staff[r.id], tz) for r in rows], "next_cursor": next_cursor}


def _check(session, links, tz, starts, ends, staff_ids, room_key, exclude=None):
    check_span(starts, ends, conflicts.APPOINTMENT_MAX, "an appointment")
    if len(set(staff_ids)) != len(staff_ids):
        raise ValidationError("a staff member is listed twice", {"staff_ids": "listed twice"})
    staff_fields = {f"staff_ids.{i}": staff_id for i, staff_id in enumerate(staff_ids)}
    require_staff(links, staff_fields)
    settings = lookups.get_settings(session)
    found = []
    if settings.conflict_mode != "allow":
        conflicts.lock_resources(session, conflicts.resource_keys(staff_ids, room_key))
        found = conflicts.find(
            session,
            starts,
            ends,
            staff_fields,
            room_key,
            tz,
            exclude_appointments=[exclude] if exclude else (),
        )
    return conflicts.settle(settings.conflict_mode, found)


def create_appointment(db, payload, user_id, links, tz_name):
    session = db.session
    tz = zone(tz_name)
    data = load(AppointmentInSchema(), payload)
    starts, ends = to_utc(data["starts_at"], tz, "starts_at"), to_utc(data["ends_at"], tz, "ends_at")
    client = links.client(data["client_id"]) if data.get("client_id") else None
    room = data.get("room")
    room_key = lookups.key(room) or None if room else None
    found = _check(session, links, tz, starts, ends, data["staff_ids"], room_key)
    now = utcnow()
    row = Appointment(
        title=data["title"],
        starts_at=starts,
        ends_at=ends,
        client_id=data.get("client_id"),
        client_name=client_label(client),
        organization_id=data.get("organization_id"),
        room=room,
        room_key=room_key,
        notes=data.get("notes"),
        cancelled=False,
        sequence=0,
        created_at=now,
        updated_at=now,
        created_by=user_id,
        updated_by=user_id,
    )
    session.add(row)
    session.flush()
    session.add_all(AppointmentStaff(appointment_id=row.id, staff_id=s) for s in data["staff_ids"])
    session.flush()
    result = appointment_to_dict(row, data["staff_ids"], tz)
    db.publish("appointment_created", {"appointment": result})
    return dict(result, conflicts=found)


def update_appointment(db, appointment_id, payload, user_id, links, tz_name):
    session = db.session
    tz = zone(tz_name)
    data = load(AppointmentInSchema(), payload, partial=True)
    row = get_row(session, appointment_id)
    staff_ids = staff_of(session, [row.id])[row.id]
    before = appointment_to_dict(row, staff_ids, tz)
    starts = to_utc(data["starts_at"], tz, "starts_at") if "starts_at" in data else row.starts_at
    ends = to_utc(data["ends_at"], tz, "ends_at") if "ends_at" in data else row.ends_at
    new_staff = data["staff_ids"] if "staff_ids" in data else staff_ids
    room = data["room"] if "room" in data else row.room
    room_key = (lookups.key(room) or None) if room else None
    client = None
    if data.get("client_id") and data["client_id"] != row.client_id:
        client = links.client(data["client_id"])
    found = []
    if (starts, ends, room_key) != (row.starts_at, row.ends_at, row.room_key) or set(new_staff) != set(
        staff_ids
    ):
        found = _check(session, links, tz, starts, ends, new_staff, room_key, exclude=row.id)
    row.starts_at, row.ends_at, row.room, row.room_key = starts, ends, room, room_key
    for field in PLAIN_FIELDS:
        if field in data:
            setattr(row, field, data[field])
    if "client_id" in data:
        row.client_id = data["client_id"]
        row.client_name = client_label(client) if client else (row.client_name if data["client_id"] else None)
    if set(new_staff) != set(staff_ids):
        for link in session.scalars(
            select(AppointmentStaff).where(AppointmentStaff.appointment_id == row.id)
        ):
            session.delete(link)
        session.flush()
        session.add_all(AppointmentStaff(appointment_id=row.id, staff_id=s) for s in new_staff)
    after = appointment_to_dict(row, new_staff, tz)
    changed = sorted(k for k in after if after[k] != before[k])
    if changed:
        row.sequence += 1
        row.updated_at, row.updated_by = utcnow(), user_id
        session.flush()
        after = appointment_to_dict(row, new_staff, tz)
        db.publish("appointment_updated", {"appointment": after, "changed": changed})
    return dict(after, conflicts=found)


def delete_appointment(db, appointment_id, user_id, tz_name):
    session = db.session
    row = get_row(session, appointment_id)
    now = utcnow()
    row.cancelled, row.cancelled_at = True, now
    row.sequence += 1
    row.updated_at, row.updated_by = now, user_id
    session.flush()
    db.publish("appointment_deleted", {"appointment_id": row.id, "deleted_by": user_id})
    return {"deleted": appointment_id}
