"""Double bookings: a photographer, assistant, appointment staff member or room booked at
overlapping times, handled by the studio's ``conflict_mode``:

- ``never``: refused, 409, naming the other booking;
- ``warn``: booked, and the overlapping bookings are listed as ``conflicts`` in the answer;
- ``allow``: booked, nothing checked.

Race-free: before looking for overlaps, a booking locks one ``resources`` row per thing it
books (``staff:5``, ``room:studio a``), in key order, for the rest of its transaction. On
PostgreSQL that is ``INSERT ... ON CONFLICT DO NOTHING`` then ``SELECT ... FOR UPDATE``: a
second booking of the same photographer waits for the first to commit, and its overlap
query (a new statement under READ COMMITTED) then sees the first booking. On SQLite the
lock is a write to those rows, which takes the database's single write lock, so writers
are serialised from that point on.
"""

import datetime as dt

from sqlalchemy import false, or_, select, update

from proofsheet_shared.contracts.scheduling import APPOINTMENT_MAX_DAYS, SESSION_MAX_HOURS
from proofsheet_shared.errors import Conflict
from proofsheet_shared.types import utcnow

from .models import Appointment, AppointmentStaff, Resource, Session
from .timeutil import show

SESSION_MAX = dt.timedelta(hours=SESSION_MAX_HOURS)
APPOINTMENT_MAX = dt.timedelta(days=APPOINTMENT_MAX_DAYS)
MODES = ("never", "warn", "allow")


def staff_resource(staff_id):
    return f"staff:{staff_id}"


def room_resource(room_key):
    return f"room:{room_key}"


def resource_keys(staff_ids, room_key):
    keys = {staff_resource(i) for i in staff_ids if i is not None}
    if room_key:
        keys.add(room_resource(room_key))
    return keys


def lock_resources(session, keys):
    """Lock the rows of ``keys`` (made if missing) until the transaction ends."""
    keys = sorted(set(keys))
    if not keys:
        return
    now = utcnow()
    rows = [{"key": k, "touched_at": now} for k in keys]
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(pg_insert(Resource).values(rows).on_conflict_do_nothing())
        session.execute(
            select(Resource.key).where(Resource.key.in_(keys)).order_by(Resource.key).with_for_update()
        )
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.execute(sqlite_insert(Resource).values(rows).on_conflict_do_nothing())
        session.execute(
            update(Resource)
            .where(Resource.key.in_(keys))
            .values(touched_at=now)
            .execution_options(synchronize_session=False)
        )


def _entry(field, kind, row, tz, occurrence):
    return {
        "field": field,
        "kind": kind,
        "id": row.id,
        "starts_at": show(row.starts_at, tz),
        "ends_at": show(row.ends_at, tz),
        "occurrence": occurrence,
    }


def find(
    session,
    starts,
    ends,
    staff_fields,
    room_key,
    tz,
    exclude_sessions=(),
    exclude_appointments=(),
    occurrence=None,
):
    """Bookings overlapping [starts, ends) that hold any of ``staff_fields`` (``{field: staff
    id}``, e.g. ``{"photographer_id": 5}``) or the room; one entry per clash."""
    staff_ids = {v for v in staff_fields.values() if v is not None}
    found = []
    clauses = []
    if staff_ids:
        clauses += [Session.photographer_id.in_(staff_ids), Session.assistant_id.in_(staff_ids)]
    if room_key:
        clauses.append(Session.room_key == room_key)
    if clauses:
        stmt = (
            select(
                Session.id,
                Session.starts_at,
                Session.ends_at,
                Session.photographer_id,
                Session.assistant_id,
                Session.room_key,
            )
            .where(
                or_(*clauses),
                Session.cancelled == false(),
                Session.starts_at < ends,
                Session.starts_at > starts - SESSION_MAX,
                Session.ends_at > starts,
            )
            .order_by(Session.starts_at, Session.id)
        )
        if exclude_sessions:
            stmt = stmt.where(Session.id.not_in(list(exclude_sessions)))
        for row in session.execute(stmt):
            held = {row.photographer_id, row.assistant_id}
            for field, staff_id in staff_fields.items():
                if staff_id is not None and staff_id in held:
                    found.append(_entry(field, "session", row, tz, occurrence))
            if room_key and row.room_key == room_key:
                found.append(_entry("room", "session", row, tz, occurrence))
    appointment_clauses = []
    if staff_ids:
        appointment_clauses.append(
            Appointment.id.in_(
                select(AppointmentStaff.appointment_id).where(AppointmentStaff.staff_id.in_(staff_ids))
            )
        )
    if room_key:
        appointment_clauses.append(Appointment.room_key == room_key)
    if appointment_clauses:
        stmt = (
            select(Appointment.id, Appointment.starts_at, Appointment.ends_at, Appointment.room_key)
            .where(
                or_(*appointment_clauses),
                Appointment.cancelled == false(),
                Appointment.starts_at < ends,
                Appointment.starts_at > starts - APPOINTMENT_MAX,
                Appointment.ends_at > starts,
            )
            .order_by(Appointment.starts_at, Appointment.id)
        )
        if exclude_appointments:
            stmt = stmt.where(Appointment.id.not_in(list(exclude_appointments)))
        rows = session.execute(stmt).all()
        staff_of = {}
        if rows and staff_ids:
            for link in session.execute(
                select(AppointmentStaff.appointment_id, AppointmentStaff.staff_id).where(
                    AppointmentStaff.appointment_id.in_([r.id for r in rows])
                )
            ):
                staff_of.setdefault(link.appointment_id, set()).add(link.staff_id)
        for row in rows:
            held = staff_of.get(row.id, set())
            for field, staff_id in staff_fields.items():
                if staff_id is not None and staff_id in held:
                    found.append(_entry(field, "appointment", row, tz, occurrence))
            if room_key and row.room_key == room_key:
                found.append(_entry("room", "appointment", row, tz, occurrence))
    return found


def settle(mode, conflicts):
    """Under ``never`` a conflict is a 409 naming the other booking; otherwise the list
    (``warn``) or nothing (``allow``) goes into the answer."""
    if not conflicts or mode == "allow":
        return []
    if mode == "never":
        first = conflicts[0]
        when = f"{first['starts_at']} to {first['ends_at']}"
        if first.get("occurrence"):
            when += f" (the series' session {first['occurrence'] + 1})"
        fields = {}
        for entry in conflicts:
            fields.setdefault(
                entry["field"],
                f"already booked by {entry['kind']} {entry['id']} "
                f"({entry['starts_at']} to {entry['ends_at']})",
            )
        what = first["field"].removesuffix("_id").replace("_", " ")
        if first["field"].startswith("staff_ids."):
            what = f"staff member ({first['field']})"
        raise Conflict(f"the {what} is already booked by {first['kind']} {first['id']}, {when}", fields)
    return conflicts
