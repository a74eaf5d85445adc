"""Generated sessions and appointments, loaded straight into the scheduling service's
PostgreSQL tables.

Two years of a busy studio around ``NOW`` (one back, one ahead): sessions in business hours
of the studio's time zone, 15 to 90 minutes, each with a photographer of ``staff``, some with
an assistant, a room and a school (organization); older sessions further along the status
list; a few cancelled. Picture-day appointments of the schools (with their staff) are added,
so the calendars fold student sessions into them.

Rows are filled by :func:`build_session`, which uses the service's own code for what the
write path derives (``lookups.key`` for the room key, ``serialize.client_label`` for the
client's name). The load is one transaction: TRUNCATE, drop the indexes and constraints,
COPY ... FREEZE, recreate them, move the id sequences, commit, ANALYZE.
"""

import datetime as dt
import random
import time
from zoneinfo import ZoneInfo

from psycopg2 import sql

from scheduling.lookups import key
from scheduling.models import Appointment, AppointmentStaff, Session
from scheduling.serialize import client_label

from .clients_data import copy_line
from .clients_load import _copy, _drop, _recreate, _schema_objects
from .names import FEMALE_FIRST, LAST_NAMES, MALE_FIRST
from .stack import HarnessError, log

BULK_TABLES = ("sessions", "appointment_staff", "appointments")
SESSION_COLUMNS = [c.name for c in Session.__table__.columns]
APPOINTMENT_COLUMNS = [c.name for c in Appointment.__table__.columns]
LINK_COLUMNS = [c.name for c in AppointmentStaff.__table__.columns]
BATCH = 25_000
NOW = dt.datetime.now(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)
SPAN_DAYS = 365  # on each side of NOW
ROOMS = ("Studio A", "Studio B", "Garden", "Camera room")
NOTES = (
    "Bring the family dog.",
    "Wants outdoor shots if it is sunny.",
    "Senior portraits, two outfits.",
    "Allergic to lilies.",
    None,
    None,
    None,
)
SCHOOLS = 40


def _names(rng):
    first = rng.choice(FEMALE_FIRST if rng.random() < 0.5 else MALE_FIRST)
    last = rng.choice(LAST_NAMES)
    return {
        "first_name": first if isinstance(first, str) else first[0],
        "last_name": last if isinstance(last, str) else last[0],
    }


class Generator:
    def __init__(self, staff_ids, type_ids, durations, status_ids, client_count, time_zone, seed):
        self.rng = random.Random(seed)
        self.staff = list(staff_ids)
        self.types = list(type_ids)
        self.durations = dict(durations)
        self.statuses = list(status_ids)
        self.client_count = max(1, client_count)
        self.tz = ZoneInfo(time_zone)
        self.first_day = (NOW - dt.timedelta(days=SPAN_DAYS)).astimezone(self.tz).date()

    def session(self, index, count):
        """One session payload (as POST /sessions takes it, plus what the loader needs)."""
        rng = self.rng
        day = self.first_day + dt.timedelta(days=int(2 * SPAN_DAYS * index / max(count, 1)))
        minutes = 8 * 60 + 15 * rng.randrange(40)  # 08:00 to 17:45
        local = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60))
        starts = local.replace(tzinfo=self.tz).astimezone(dt.timezone.utc)
        type_id = rng.choice(self.types)
        ends = starts + dt.timedelta(minutes=self.durations[type_id])
        photographer = rng.choice(self.staff)
        assistant = rng.choice([s for s in self.staff if s != photographer]) if rng.random() < 0.3 else None
        age = (NOW - starts).total_seconds() / (SPAN_DAYS * 86400)  # 1 a year ago, 0 now, < 0 ahead
        if age <= 0:
            position = 0 if rng.random() < 0.7 else 1
        else:
            position = min(len(self.statuses) - 1, int(rng.random() * len(self.statuses) * (0.4 + age)))
        return {
            "client_id": rng.randint(1, self.client_count),
            "client": _names(rng),
            "session_type_id": type_id,
            "status_id": self.statuses[position],
            "starts_at": starts,
            "ends_at": ends,
            "photographer_id": photographer,
            "assistant_id": assistant,
            "room": rng.choice(ROOMS) if rng.random() < 0.6 else None,
            "organization_id": rng.randint(1, SCHOOLS) if rng.random() < 0.1 else None,
            "notes": rng.choice(NOTES),
            "cancelled": rng.random() < 0.04,
        }


def build_session(payload, session_id, created_at, user_id):
    """The sessions row the write path stores for ``payload``."""
    room = payload.get("room")
    cancelled = bool(payload.get("cancelled"))
    row = {
        "id": session_id,
        "client_id": payload["client_id"],
        "client_name": client_label(payload.get("client")),
        "session_type_id": payload["session_type_id"],
        "status_id": payload["status_id"],
        "starts_at": payload["starts_at"],
        "ends_at": payload["ends_at"],
        "photographer_id": payload.get("photographer_id"),
        "assistant_id": payload.get("assistant_id"),
        "room": room,
        "room_key": (key(room) or None) if room else None,
        "organization_id": payload.get("organization_id"),
        "notes": payload.get("notes"),
        "series_id": None,
        "cancelled": cancelled,
        "cancelled_at": created_at if cancelled else None,
        "cancelled_by": user_id if cancelled else None,
        "sequence": 1 if cancelled else 0,
        "created_at": created_at,
        "updated_at": created_at,
        "created_by": user_id,
        "updated_by": user_id,
    }
    missing = set(SESSION_COLUMNS) - set(row)
    if missing:
        raise HarnessError(
            f"the sessions model has columns the bulk loader does not fill: {sorted(missing)}; "
            "teach benchmarks/scheduling_load.build_session"
        )
    return row


def _picture_days(generator, user_id):
    """Two picture days a week over the span, each of one school, with two staff."""
    rng = random.Random(77)
    rows, links = [], []
    day = generator.first_day
    last = generator.first_day + dt.timedelta(days=2 * SPAN_DAYS)
    appointment_id = 0
    while day < last:
        for weekday in (1, 3):
            when = day + dt.timedelta(days=weekday)
            appointment_id += 1
            starts = dt.datetime.combine(when, dt.time(8), generator.tz).astimezone(dt.timezone.utc)
            created = min(starts, NOW) - dt.timedelta(days=30)
            school = rng.randint(1, SCHOOLS)
            rows.append(
                {
                    "id": appointment_id,
                    "title": f"Picture day: school {school}",
                    "starts_at": starts,
                    "ends_at": starts + dt.timedelta(hours=8),
                    "client_id": None,
                    "client_name": None,
                    "organization_id": school,
                    "room": None,
                    "room_key": None,
                    "notes": "Bring the backdrops",
                    "cancelled": False,
                    "cancelled_at": None,
                    "sequence": 0,
                    "created_at": created,
                    "updated_at": created,
                    "created_by": user_id,
                    "updated_by": user_id,
                }
            )
            for staff_id in rng.sample(generator.staff, 2):
                links.append({"appointment_id": appointment_id, "staff_id": staff_id})
        day += dt.timedelta(days=7)
    return rows, links


def bulk_load(conn, count, generator, user_id):
    started = time.monotonic()
    cur = conn.cursor()
    cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
    cur.execute(sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(map(sql.Identifier, BULK_TABLES))))
    constraints, indexes = _schema_objects(cur, BULK_TABLES)
    _drop(cur, constraints, indexes)
    totals = {"sessions": 0, "cancelled": 0, "appointments": 0}
    per_staff = {}
    for start in range(0, count, BATCH):
        lines = []
        for index in range(start, min(start + BATCH, count)):
            payload = generator.session(index, count)
            created = min(payload["starts_at"], NOW) - dt.timedelta(days=generator.rng.randint(1, 60))
            row = build_session(payload, index + 1, created, user_id)
            lines.append(copy_line(row, SESSION_COLUMNS))
            totals["cancelled"] += row["cancelled"]
            per_staff[row["photographer_id"]] = per_staff.get(row["photographer_id"], 0) + 1
        _copy(cur, "sessions", SESSION_COLUMNS, "".join(lines))
        totals["sessions"] += len(lines)
        log(f"  sessions generated {totals['sessions']:,}/{count:,} ({time.monotonic() - started:.0f} s)")
    appointments, links = _picture_days(generator, user_id)
    _copy(
        cur,
        "appointments",
        APPOINTMENT_COLUMNS,
        "".join(copy_line(r, APPOINTMENT_COLUMNS) for r in appointments),
    )
    _copy(cur, "appointment_staff", LINK_COLUMNS, "".join(copy_line(r, LINK_COLUMNS) for r in links))
    totals["appointments"] = len(appointments)
    copied = time.monotonic()
    _recreate(cur, constraints, indexes)
    for table in ("sessions", "appointments"):
        cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table,))
        sequence = cur.fetchone()[0]
        cur.execute(f"SELECT setval(%s, GREATEST((SELECT max(id) FROM {table}), 1))", (sequence,))
    conn.commit()
    indexed = time.monotonic()
    conn.autocommit = True
    for table in BULK_TABLES:
        cur.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
    conn.autocommit = False
    finished = time.monotonic()
    totals["sessions_by_photographer"] = {str(k): v for k, v in sorted(per_staff.items())}
    totals["seconds"] = {
        "generate_and_copy": round(copied - started, 1),
        "indexes_and_constraints": round(indexed - copied, 1),
        "analyze": round(finished - indexed, 1),
        "total": round(finished - started, 1),
    }
    log(
        f"  loaded {totals['sessions']:,} sessions, {totals['appointments']:,} picture days in "
        f"{finished - started:.1f} s"
    )
    return totals
