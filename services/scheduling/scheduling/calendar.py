"""Calendars: one staff member's bookings, or every booking (the master calendar), over a
range; and the same as an iCalendar (RFC 5545) feed Google or Apple Calendar subscribe to.

A school's picture day shows once: an appointment with an ``organization_id`` takes in the
sessions of that organization that lie inside it; they are not listed one by one, and the
appointment carries their ``session_count`` (seed 002's advice, done for the studio).

Reads are Core statements, built once per shape with bind parameters and reused, on the
worker's autocommit read connection. A booking lasts at most a day (sessions) or 31 days
(appointments), so "overlapping [a, b)" is a range scan of ``starts_at`` from ``a - max`` to
``b`` in the staff or start index, ``ends_at > a`` checked in the index itself.

The feed is written here rather than through ``icalendar``'s object model (a year of a busy
photographer is thousands of events, and building them as objects costs far more than the
500 ms a feed may take); ``icalendar`` makes the VTIMEZONE, and the tests parse the feed
with it. Every event has a UID stable per booking (``session-12@proofsheet``), its
SEQUENCE (bumped on every change), and cancelled bookings are ``STATUS:CANCELLED``.
"""

import datetime as dt
import hmac
import secrets
from functools import lru_cache

from sqlalchemy import Integer, bindparam, false, or_, select

from proofsheet_shared.contracts.scheduling import APPOINTMENT_MAX_DAYS, CALENDAR_MAX_DAYS, CalendarArgs
from proofsheet_shared.errors import NotFound, ValidationError
from proofsheet_shared.schemas import load
from proofsheet_shared.types import utcnow

from .lookups import type_names
from .models import Appointment, AppointmentStaff, FeedToken, Session, SessionStatus
from .timeutil import ical_local, ical_utc, range_bounds, show, zone

SESSION_MAX = dt.timedelta(hours=24)
APPOINTMENT_MAX = dt.timedelta(days=APPOINTMENT_MAX_DAYS)
CALENDAR_MAX = dt.timedelta(days=CALENDAR_MAX_DAYS)
UID_DOMAIN = "proofsheet"
PRODID = "-//Proofsheet//Scheduling 1.0//EN"

_CALENDAR_COLUMNS = (
    Session.id,
    Session.client_id,
    Session.client_name,
    Session.session_type_id,
    Session.status_id,
    Session.starts_at,
    Session.ends_at,
    Session.photographer_id,
    Session.assistant_id,
    Session.room,
    Session.organization_id,
    Session.cancelled,
)
_FEED_COLUMNS = _CALENDAR_COLUMNS + (Session.notes, Session.sequence, Session.created_at, Session.updated_at)
_APPOINTMENT_COLUMNS = (
    Appointment.id,
    Appointment.title,
    Appointment.starts_at,
    Appointment.ends_at,
    Appointment.client_id,
    Appointment.client_name,
    Appointment.room,
    Appointment.organization_id,
    Appointment.cancelled,
    Appointment.notes,
    Appointment.sequence,
    Appointment.created_at,
    Appointment.updated_at,
)
_STATEMENTS = {}


def _statement(kind, by_staff, cancelled):
    """One cached statement per shape: sessions or appointments, of one staff member or all,
    with or without the cancelled ones."""
    shape = (kind, by_staff, cancelled)
    stmt = _STATEMENTS.get(shape)
    if stmt is not None:
        return stmt
    if kind in ("sessions", "feed"):
        stmt = select(*(_FEED_COLUMNS if kind == "feed" else _CALENDAR_COLUMNS)).where(
            Session.starts_at < bindparam("upper"),
            Session.starts_at > bindparam("session_floor"),
            Session.ends_at > bindparam("lower"),
        )
        if by_staff:
            stmt = stmt.where(
                or_(
                    Session.photographer_id == bindparam("staff_id", type_=Integer),
                    Session.assistant_id == bindparam("staff_id", type_=Integer),
                )
            )
        if not cancelled:
            stmt = stmt.where(Session.cancelled == false())
        stmt = stmt.order_by(Session.starts_at, Session.id)
    else:
        stmt = select(*_APPOINTMENT_COLUMNS).where(
            Appointment.starts_at < bindparam("upper"),
            Appointment.starts_at > bindparam("appointment_floor"),
            Appointment.ends_at > bindparam("lower"),
        )
        if by_staff:
            stmt = stmt.where(
                Appointment.id.in_(
                    select(AppointmentStaff.appointment_id).where(
                        AppointmentStaff.staff_id == bindparam("staff_id", type_=Integer)
                    )
                )
            )
        if not cancelled:
            stmt = stmt.where(Appointment.cancelled == false())
        stmt = stmt.order_by(Appointment.starts_at, Appointment.id)
    _STATEMENTS[shape] = stmt
    return stmt


def _fetch(connection, lower, upper, staff_id, cancelled, feed=False):
    params = {
        "lower": lower,
        "upper": upper,
        "session_floor": lower - SESSION_MAX,
        "appointment_floor": lower - APPOINTMENT_MAX,
    }
    if staff_id is not None:
        params["staff_id"] = staff_id
    by_staff = staff_id is not None
    sessions = connection.execute(
        _statement("feed" if feed else "sessions", by_staff, cancelled), params
    ).all()
    appointments = connection.execute(_statement("appointments", by_staff, cancelled), params).all()
    staff = {}
    if appointments:
        ids = [a.id for a in appointments]
        for link in connection.execute(
            select(AppointmentStaff.appointment_id, AppointmentStaff.staff_id).where(
                AppointmentStaff.appointment_id.in_(ids)
            )
        ):
            staff.setdefault(link.appointment_id, []).append(link.staff_id)
    return sessions, appointments, staff


def fold(sessions, appointments):
    """``(sessions shown, {appointment id: sessions inside it})``: the sessions of an
    organization inside a live appointment of that organization go into the appointment."""
    blocks = {}
    for appointment in appointments:
        if appointment.organization_id is not None and not appointment.cancelled:
            blocks.setdefault(appointment.organization_id, []).append(appointment)
    if not blocks:
        return sessions, {}
    shown, inside = [], {}
    for row in sessions:
        holder = None
        for block in blocks.get(row.organization_id, ()):
            if block.starts_at <= row.starts_at and row.ends_at <= block.ends_at:
                holder = block
                break
        if holder is None or row.cancelled:
            shown.append(row)
        else:
            inside[holder.id] = inside.get(holder.id, 0) + 1
    return shown, inside


def _title(row, names):
    name = names.get(row.session_type_id) or "Session"
    return f"{name} — {row.client_name}" if row.client_name else name


def calendar(connection, args, tz_name):
    tz = zone(tz_name)
    args = load(CalendarArgs(), args or {})
    lower, upper = range_bounds(args["from_"], args["to"], tz)
    if upper <= lower:
        raise ValidationError("the range ends before it starts", {"to": "must be after from"})
    if upper - lower > CALENDAR_MAX + dt.timedelta(days=1):
        raise ValidationError(
            f"a calendar covers at most {CALENDAR_MAX_DAYS} days",
            {"to": f"at most {CALENDAR_MAX_DAYS} days after from"},
        )
    staff_id = args.get("staff_id")
    sessions, appointments, staff = _fetch(connection, lower, upper, staff_id, args["include_cancelled"])
    sessions, inside = fold(sessions, appointments)
    names = type_names(connection)
    items = []
    for row in sessions:
        staff_ids = [i for i in (row.photographer_id, row.assistant_id) if i is not None]
        items.append(
            (
                row.starts_at,
                0,
                row.id,
                {
                    "kind": "session",
                    "id": row.id,
                    "title": _title(row, names),
                    "starts_at": show(row.starts_at, tz),
                    "ends_at": show(row.ends_at, tz),
                    "client_id": row.client_id,
                    "client_name": row.client_name,
                    "session_type_id": row.session_type_id,
                    "status_id": row.status_id,
                    "staff_ids": staff_ids,
                    "photographer_id": row.photographer_id,
                    "assistant_id": row.assistant_id,
                    "room": row.room,
                    "organization_id": row.organization_id,
                    "cancelled": row.cancelled,
                },
            )
        )
    for row in appointments:
        items.append(
            (
                row.starts_at,
                1,
                row.id,
                {
                    "kind": "appointment",
                    "id": row.id,
                    "title": row.title,
                    "starts_at": show(row.starts_at, tz),
                    "ends_at": show(row.ends_at, tz),
                    "client_id": row.client_id,
                    "client_name": row.client_name,
                    "session_type_id": None,
                    "status_id": None,
                    "staff_ids": sorted(staff.get(row.id, [])),
                    "photographer_id": None,
                    "assistant_id": None,
                    "room": row.room,
                    "organization_id": row.organization_id,
                    "cancelled": row.cancelled,
                    "session_count": inside.get(row.id, 0),
                },
            )
        )
    if appointments:
        items.sort(key=lambda entry: entry[:3])
    return {
        "staff_id": staff_id,
        "time_zone": tz.key,
        "from": show(lower, tz),
        "to": show(upper, tz),
        "items": [entry[3] for entry in items],
    }


# --- feed tokens ------------------------------------------------------------------------------------


def feed_token(session, staff_id, user_id):
    """The staff member's feed token, made the first time it is asked for."""
    row = session.get(FeedToken, staff_id)
    if row is None:
        row = FeedToken(
            staff_id=staff_id, token=secrets.token_urlsafe(32), created_at=utcnow(), created_by=user_id
        )
        session.add(row)
        session.flush()
    return row.token


def rotate_feed_token(session, staff_id, user_id):
    """A new token; the old address stops working at once."""
    row = session.get(FeedToken, staff_id)
    token = secrets.token_urlsafe(32)
    if row is None:
        session.add(FeedToken(staff_id=staff_id, token=token, created_at=utcnow(), created_by=user_id))
    else:
        row.token, row.created_at, row.created_by = token, utcnow(), user_id
    session.flush()
    return token


def check_feed_token(connection, staff_id, token):
    """A wrong or missing token is a 404 (the address does not exist), never a 401/403."""
    stored = connection.execute(select(FeedToken.token).where(FeedToken.staff_id == staff_id)).scalar()
    if not token or stored is None or not hmac.compare_digest(stored.encode(), str(token).encode()):
        raise NotFound("no such calendar feed", {"token": "not found"})


# --- iCalendar ----------------------------------------------------------------------------------------


def escape(text):
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold_line(line):
    """RFC 5545 3.1: lines longer than 75 octets continue on the next line after a space."""
    if len(line) <= 75 and line.isascii():
        return line
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts, start, limit = [], 0, 75
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # never split a UTF-8 character
            end -= 1
        parts.append(data[start:end].decode("utf-8"))
        start, limit = end, 74
    return "\r\n ".join(parts)


@lru_cache(maxsize=16)
def vtimezone(tz_name, first_year, last_year):
    import icalendar

    component = icalendar.Timezone.from_tzid(
        tz_name, first_date=dt.date(first_year, 1, 1), last_date=dt.date(last_year, 12, 31)
    )
    return component.to_ical().decode("utf-8").rstrip("\r\n").replace("\r\n", "\n").replace("\n", "\r\n")


def _times(tz, is_utc):
    if is_utc:
        return lambda value: ":" + ical_utc(value)
    prefix = f";TZID={tz.key}:"
    return lambda value: prefix + ical_local(value, tz)


def feed(connection, staff_id, token, tz_name, today, days_before, days_after, staff_name=None):
    """The ICS text of a staff member's bookings from ``days_before`` to ``days_after`` today."""
    check_feed_token(connection, staff_id, token)
    tz = zone(tz_name)
    lower = dt.datetime.combine(today - dt.timedelta(days=days_before), dt.time(), tz).astimezone(
        dt.timezone.utc
    )
    upper = dt.datetime.combine(today + dt.timedelta(days=days_after + 1), dt.time(), tz).astimezone(
        dt.timezone.utc
    )
    sessions, appointments, _staff = _fetch(connection, lower, upper, staff_id, True, feed=True)
    sessions, inside = fold(sessions, appointments)
    names = type_names(connection)
    statuses = dict(connection.execute(select(SessionStatus.id, SessionStatus.name)).all())
    is_utc = tz.key in ("UTC", "Etc/UTC", "GMT")
    when = _times(tz, is_utc)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        fold_line("X-WR-CALNAME:" + escape(staff_name or f"Proofsheet — staff {staff_id}")),
        f"X-WR-TIMEZONE:{tz.key}",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    if not is_utc:
        lines.append(vtimezone(tz.key, today.year - 2, today.year + 2))
    stamp = ical_utc(utcnow())
    append = lines.append
    for row in sessions:
        append("BEGIN:VEVENT")
        append(f"UID:session-{row.id}@{UID_DOMAIN}")
        append(f"DTSTAMP:{stamp}")
        append("DTSTART" + when(row.starts_at))
        append("DTEND" + when(row.ends_at))
        append(fold_line("SUMMARY:" + escape(_title(row, names))))
        if row.room:
            append(fold_line("LOCATION:" + escape(row.room)))
        details = []
        status = statuses.get(row.status_id)
        if status:
            details.append(f"Status: {status}")
        if row.photographer_id == staff_id:
            details.append("Role: photographer")
        elif row.assistant_id == staff_id:
            details.append("Role: assistant")
        if row.notes:
            details.append(row.notes)
        if details:
            append(fold_line("DESCRIPTION:" + escape("\n".join(details))))
        append("STATUS:CANCELLED" if row.cancelled else "STATUS:CONFIRMED")
        append(f"SEQUENCE:{row.sequence}")
        append(f"CREATED:{ical_utc(row.created_at)}")
        append(f"LAST-MODIFIED:{ical_utc(row.updated_at)}")
        append("END:VEVENT")
    for row in appointments:
        append("BEGIN:VEVENT")
        append(f"UID:appointment-{row.id}@{UID_DOMAIN}")
        append(f"DTSTAMP:{stamp}")
        append("DTSTART" + when(row.starts_at))
        append("DTEND" + when(row.ends_at))
        title = row.title + (f" ({inside[row.id]} sessions)" if inside.get(row.id) else "")
        append(fold_line("SUMMARY:" + escape(title)))
        if row.room:
            append(fold_line("LOCATION:" + escape(row.room)))
        if row.notes:
            append(fold_line("DESCRIPTION:" + escape(row.notes)))
        append("STATUS:CANCELLED" if row.cancelled else "STATUS:CONFIRMED")
        append(f"SEQUENCE:{row.sequence}")
        append(f"CREATED:{ical_utc(row.created_at)}")
        append(f"LAST-MODIFIED:{ical_utc(row.updated_at)}")
        append("END:VEVENT")
    append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"
