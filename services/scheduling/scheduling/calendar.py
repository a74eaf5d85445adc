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
import re
import secrets
from functools import lru_cache

from sqlalchemy import Float, Integer, bindparam, cast, false, func, literal, or_, select

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
_CALENDAR_ARGS = CalendarArgs()


class Shower:
    """:func:`timeutil.show` for many timestamps: the zone's offset is looked up once per
    quarter hour of UTC time (every zone changes its offset on a quarter hour), then each
    timestamp is the UTC time moved by it, printed with it."""

    def __init__(self, tz):
        self.tz = tz
        self.offsets = {}

    def __call__(self, value):
        bucket = int(value.timestamp()) // 900
        found = self.offsets.get(bucket)
        if found is None:
            local = value.astimezone(self.tz)
            offset = local.utcoffset()
            found = self.offsets[bucket] = (offset, local.replace(microsecond=0).isoformat()[19:])
        return (value.replace(tzinfo=None) + found[0]).isoformat() + found[1]


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
    args = load(_CALENDAR_ARGS, args or {})
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
    names = type_names(connection, {row[3] for row in sessions})
    shown = Shower(tz)
    items = []
    for (
        session_id,
        client_id,
        client_name,
        type_id,
        status_id,
        starts_at,
        ends_at,
        photographer_id,
        assistant_id,
        room,
        organization_id,
        cancelled,
    ) in sessions:
        name = names.get(type_id) or "Session"
        items.append(
            (
                starts_at,
                0,
                session_id,
                {
                    "kind": "session",
                    "id": session_id,
                    "title": f"{name} — {client_name}" if client_name else name,
                    "starts_at": shown(starts_at),
                    "ends_at": shown(ends_at),
                    "client_id": client_id,
                    "client_name": client_name,
                    "session_type_id": type_id,
                    "status_id": status_id,
                    "staff_ids": [photographer_id, assistant_id]
                    if assistant_id is not None and photographer_id is not None
                    else [i for i in (photographer_id, assistant_id) if i is not None],
                    "photographer_id": photographer_id,
                    "assistant_id": assistant_id,
                    "room": room,
                    "organization_id": organization_id,
                    "cancelled": cancelled,
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
    if len(line) <= 75 and (len(line) <= 18 or line.isascii()):
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


_FEED_STATEMENTS = {}
_ICAL_FORMAT = 'YYYYMMDD"T"HH24MISS'
_NEEDS_ESCAPE = re.compile(r"[\\;,\n\r]")


def esc(text):
    """:func:`escape`, with a fast path for the usual text that needs none."""
    return escape(text) if _NEEDS_ESCAPE.search(text) else text


def _feed_statement(postgres, is_utc):
    """Sessions of one staff member for the feed, times already as iCalendar text.

    On PostgreSQL the database formats them (``to_char`` of the time in the studio's zone):
    a year of a busy photographer is some 16,000 sessions, and parsing 64,000 timestamps into
    Python objects only to print them again would be most of the feed's time. Elsewhere
    (SQLite) the rows carry timestamps and :func:`_feed_rows` formats them."""
    shape = (postgres, is_utc)
    stmt = _FEED_STATEMENTS.get(shape)
    if stmt is not None:
        return stmt
    plain = (
        Session.id,
        Session.client_name,
        Session.session_type_id,
        Session.status_id,
        Session.photographer_id,
        Session.assistant_id,
        Session.room,
        Session.organization_id,
        Session.notes,
        Session.sequence,
        Session.cancelled,
    )
    if postgres:

        def text(column, zone):
            return func.to_char(func.timezone(zone, column), _ICAL_FORMAT)

        zone = literal("UTC") if is_utc else bindparam("tz_name")
        times = (
            cast(func.extract("epoch", Session.starts_at), Float).label("start_epoch"),
            cast(func.extract("epoch", Session.ends_at), Float).label("end_epoch"),
            text(Session.starts_at, zone).label("dtstart"),
            text(Session.ends_at, zone).label("dtend"),
            text(Session.updated_at, literal("UTC")).label("modified"),
        )
    else:
        times = (Session.starts_at, Session.ends_at, Session.updated_at)
    stmt = (
        select(*plain, *times)
        .where(
            Session.starts_at < bindparam("upper"),
            Session.starts_at > bindparam("session_floor"),
            Session.ends_at > bindparam("lower"),
            or_(
                Session.photographer_id == bindparam("staff_id", type_=Integer),
                Session.assistant_id == bindparam("staff_id", type_=Integer),
            ),
        )
        .order_by(Session.starts_at, Session.id)
    )
    _FEED_STATEMENTS[shape] = stmt
    return stmt


def _feed_rows(connection, lower, upper, staff_id, tz, is_utc):
    """``(id, client_name, type, status, photographer, assistant, room, organization, notes,
    sequence, cancelled, start epoch, end epoch, DTSTART text, DTEND text, LAST-MODIFIED text)``."""
    postgres = (
        connection.get_bind().dialect.name == "postgresql"
        if hasattr(connection, "get_bind")
        else (connection.dialect.name == "postgresql")
    )
    params = {"lower": lower, "upper": upper, "session_floor": lower - SESSION_MAX, "staff_id": staff_id}
    if postgres and not is_utc:
        params["tz_name"] = tz.key
    rows = connection.execute(_feed_statement(postgres, is_utc), params).all()
    if postgres:
        return rows

    def local(value):
        return ical_utc(value)[:-1] if is_utc else ical_local(value, tz)

    return [
        (
            *row[:11],
            row.starts_at.timestamp(),
            row.ends_at.timestamp(),
            local(row.starts_at),
            local(row.ends_at),
            ical_utc(row.updated_at)[:-1],
        )
        for row in rows
    ]


def _fold_feed(rows, appointments):
    """:func:`fold` over feed rows (their times as epochs)."""
    blocks = {}
    for appointment in appointments:
        if appointment.organization_id is not None and not appointment.cancelled:
            blocks.setdefault(appointment.organization_id, []).append(
                (appointment.starts_at.timestamp(), appointment.ends_at.timestamp(), appointment.id)
            )
    if not blocks:
        return rows, {}
    shown, inside = [], {}
    for row in rows:
        holder = None
        if row[7] in blocks and not row[10]:  # organization_id, cancelled
            for starts, ends, appointment_id in blocks[row[7]]:
                if starts <= row[11] and row[12] <= ends:  # start and end epochs
                    holder = appointment_id
                    break
        if holder is None:
            shown.append(row)
        else:
            inside[holder] = inside.get(holder, 0) + 1
    return shown, inside


def feed(connection, staff_id, token, tz_name, today, days_before, days_after, staff_name=None):
    """The ICS text of a staff member's bookings from ``days_before`` to ``days_after`` today."""
    check_feed_token(connection, staff_id, token)
    tz = zone(tz_name)
    utc = dt.timezone.utc
    lower = dt.datetime.combine(today - dt.timedelta(days=days_before), dt.time(), tz).astimezone(utc)
    upper = dt.datetime.combine(today + dt.timedelta(days=days_after + 1), dt.time(), tz).astimezone(utc)
    is_utc = tz.key in ("UTC", "Etc/UTC", "GMT")
    rows = _feed_rows(connection, lower, upper, staff_id, tz, is_utc)
    params = {
        "lower": lower,
        "upper": upper,
        "appointment_floor": lower - APPOINTMENT_MAX,
        "staff_id": staff_id,
    }
    appointments = connection.execute(_statement("appointments", True, True), params).all()
    rows, inside = _fold_feed(rows, appointments)
    names = {k: esc(v) for k, v in type_names(connection, {row[2] for row in rows}).items()}
    statuses = {k: esc(v) for k, v in connection.execute(select(SessionStatus.id, SessionStatus.name)).all()}
    when = ":" if is_utc else f";TZID={tz.key}:"
    suffix = "Z" if is_utc else ""
    out = [
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
        out.append(vtimezone(tz.key, today.year - 2, today.year + 2))
    stamp = ical_utc(utcnow())
    head = f"@{UID_DOMAIN}\r\nDTSTAMP:{stamp}\r\nDTSTART{when}"
    append = out.append
    for (
        session_id,
        client_name,
        type_id,
        status_id,
        photographer_id,
        assistant_id,
        room,
        _organization_id,
        notes,
        sequence,
        cancelled,
        _starts,
        _ends,
        dtstart,
        dtend,
        modified,
    ) in rows:
        name = names.get(type_id) or "Session"
        summary = fold_line(f"SUMMARY:{name}: {esc(client_name)}" if client_name else f"SUMMARY:{name}")
        details = statuses.get(status_id, "")
        if photographer_id == staff_id:
            details += "\\nRole: photographer"
        elif assistant_id == staff_id:
            details += "\\nRole: assistant"
        if notes:
            details += "\\n" + esc(notes)
        location = f"\r\n{fold_line('LOCATION:' + esc(room))}" if room else ""
        append(
            f"BEGIN:VEVENT\r\nUID:session-{session_id}{head}{dtstart}{suffix}\r\nDTEND{when}{dtend}{suffix}"
            f"\r\n{summary}{location}\r\n{fold_line('DESCRIPTION:Status: ' + details)}"
            f"\r\nSTATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}\r\nSEQUENCE:{sequence}"
            f"\r\nLAST-MODIFIED:{modified}Z\r\nEND:VEVENT"
        )
    for row in appointments:
        starts = ical_utc(row.starts_at)[:-1] if is_utc else ical_local(row.starts_at, tz)
        ends = ical_utc(row.ends_at)[:-1] if is_utc else ical_local(row.ends_at, tz)
        title = row.title + (f" ({inside[row.id]} sessions)" if inside.get(row.id) else "")
        lines = [
            f"BEGIN:VEVENT\r\nUID:appointment-{row.id}{head}{starts}{suffix}\r\nDTEND{when}{ends}{suffix}",
            fold_line("SUMMARY:" + esc(title)),
        ]
        if row.room:
            lines.append(fold_line("LOCATION:" + esc(row.room)))
        if row.notes:
            lines.append(fold_line("DESCRIPTION:" + esc(row.notes)))
        lines.append(
            f"STATUS:{'CANCELLED' if row.cancelled else 'CONFIRMED'}\r\nSEQUENCE:{row.sequence}"
            f"\r\nLAST-MODIFIED:{ical_utc(row.updated_at)}\r\nEND:VEVENT"
        )
        append("\r\n".join(lines))
    append("END:VCALENDAR")
    return "\r\n".join(out) + "\r\n"
