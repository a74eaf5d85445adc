"""Calendars (one staff member, the master calendar, a school's picture day shown once),
the ICS feed read back by the icalendar library, feed tokens, appointments, and bulk
advance of statuses."""

import datetime as dt

import icalendar
import pytest

from proofsheet_shared.errors import Conflict, NotFound, ValidationError
from scheduling import advance, appointments, calendar, sessions

from .conftest import NY

PORTRAIT = 1
TODAY = dt.date(2026, 3, 1)


def book(db, links, **fields):
    payload = {"client_id": 100, "session_type_id": PORTRAIT, "starts_at": "2026-03-03T10:00:00", **fields}
    return sessions.create_session(db, payload, 5, links, NY)


def test_staff_and_master_calendars_and_a_picture_day_shown_once(db, links, session):
    mine = book(db, links, photographer_id=5)
    helping = book(db, links, starts_at="2026-03-04T10:00:00", photographer_id=6, assistant_id=5)
    other = book(db, links, starts_at="2026-03-03T10:00:00", photographer_id=7)
    day = appointments.create_appointment(
        db,
        {
            "title": "Lincoln High picture day",
            "starts_at": "2026-03-05T08:00:00",
            "ends_at": "2026-03-05T15:00:00",
            "staff_ids": [6, 7],
            "organization_id": 900,
        },
        5,
        links,
        NY,
    )
    students = [
        book(db, links, starts_at=f"2026-03-05T{9 + i:02d}:00:00", organization_id=900) for i in range(3)
    ]
    week = calendar.calendar(session, {"staff_id": "5", "from": "2026-03-02", "to": "2026-03-08"}, NY)
    assert [(i["kind"], i["id"]) for i in week["items"]] == [
        ("session", mine["id"]),
        ("session", helping["id"]),
    ]
    assert week["items"][0]["title"] == "Portrait session — Ada Lovelace"
    master = calendar.calendar(session, {"from": "2026-03-05", "to": "2026-03-05"}, NY)
    assert [(i["kind"], i["id"]) for i in master["items"]] == [("appointment", day["id"])]
    assert master["items"][0]["session_count"] == 3
    assert all(s["id"] for s in students)
    both = calendar.calendar(
        session, {"from": "2026-03-03T00:00:00-05:00", "to": "2026-03-03T23:59:00-05:00"}, NY
    )
    assert {i["id"] for i in both["items"]} == {mine["id"], other["id"]}
    with pytest.raises(ValidationError) as err:
        calendar.calendar(session, {"from": "2026-01-01", "to": "2027-03-01"}, NY)
    assert "to" in err.value.fields
    with pytest.raises(ValidationError):
        calendar.calendar(session, {"from": "2026-03-05", "to": "2026-03-01"}, NY)


def test_appointments_conflict_with_sessions_and_are_deleted_softly(db, links, session):
    made = book(db, links, photographer_id=5)
    with pytest.raises(Conflict) as err:
        appointments.create_appointment(
            db,
            {
                "title": "Consult",
                "starts_at": "2026-03-03T10:30:00",
                "ends_at": "2026-03-03T11:30:00",
                "staff_ids": [6, 5],
            },
            5,
            links,
            NY,
        )
    assert "staff_ids.1" in err.value.fields and str(made["id"]) in err.value.message
    consult = appointments.create_appointment(
        db,
        {
            "title": "Consult",
            "starts_at": "2026-03-03T11:00:00",
            "ends_at": "2026-03-03T11:30:00",
            "staff_ids": [5],
            "client_id": 100,
        },
        5,
        links,
        NY,
    )
    assert consult["client_name"] == "Ada Lovelace" and db.events_of("appointment_created")
    moved = appointments.update_appointment(
        db,
        consult["id"],
        {"starts_at": "2026-03-03T12:00:00", "ends_at": "2026-03-03T12:30:00"},
        5,
        links,
        NY,
    )
    assert moved["sequence"] == 1
    appointments.delete_appointment(db, consult["id"], 5, NY)
    with pytest.raises(NotFound):
        appointments.get_appointment(session, consult["id"], NY)


def test_the_feed_parses_with_icalendar_with_times_zone_and_cancellations(db, links, session):
    made = book(
        db,
        links,
        photographer_id=5,
        room="Studio A",
        notes="Bring the dog; and, props",
        recurrence={"rrule": "FREQ=WEEKLY;COUNT=3"},
    )
    ids = made["series"]["session_ids"]
    sessions.cancel_session(db, ids[2], None, 5, NY)
    sessions.update_session(db, ids[1], {"notes": "changed"}, 5, links, NY)
    token = calendar.feed_token(session, 5, 1)
    assert calendar.feed_token(session, 5, 1) == token
    text = calendar.feed(session, 5, token, NY, TODAY, 30, 60, staff_name="Pat Photographer")
    parsed = icalendar.Calendar.from_ical(text)
    assert [tz["TZID"] for tz in parsed.walk("VTIMEZONE")] == [NY]
    events = {e["UID"]: e for e in parsed.walk("VEVENT")}
    assert set(events) == {f"session-{i}@proofsheet" for i in ids}
    first, second, third = (events[f"session-{i}@proofsheet"] for i in ids)
    assert first.decoded("DTSTART") == dt.datetime(2026, 3, 3, 10, tzinfo=first.decoded("DTSTART").tzinfo)
    assert str(first["DTSTART"].params["TZID"]) == NY
    assert first.decoded("DTSTART").utcoffset() == dt.timedelta(hours=-5)
    assert second.decoded("DTSTART").hour == 10 and second.decoded("DTSTART").utcoffset() == dt.timedelta(
        hours=-4
    )
    assert "Bring the dog; and, props" in str(first["DESCRIPTION"]) and str(first["LOCATION"]) == "Studio A"
    assert (int(first["SEQUENCE"]), int(second["SEQUENCE"]), int(third["SEQUENCE"])) == (0, 1, 1)
    assert (str(first["STATUS"]), str(third["STATUS"])) == ("CONFIRMED", "CANCELLED")
    with pytest.raises(NotFound):
        calendar.feed(session, 5, "wrong", NY, TODAY, 30, 60)
    new = calendar.rotate_feed_token(session, 5, 1)
    with pytest.raises(NotFound):
        calendar.check_feed_token(session, 5, token)
    calendar.check_feed_token(session, 5, new)


def test_long_lines_fold_without_splitting_characters():
    line = "SUMMARY:" + "Portrait ✓ " * 20
    folded = calendar.fold_line(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line


def test_advance_status_moves_each_listed_session_once(db, links, session):
    made = [book(db, links, starts_at=f"2026-03-{d:02d}T10:00:00")["id"] for d in range(2, 7)]
    cancelled = made[4]
    sessions.cancel_session(db, cancelled, None, 5, NY)
    sessions.update_session(db, made[3], {"status_id": 6}, 5, links, NY)
    db.clear_events()
    result = advance.advance_status(db, {"ids": [made[0], made[1], made[0], 999, made[3], cancelled]}, 5)
    assert [(i["id"], i["result"]) for i in result["items"]] == [
        (made[0], "advanced"),
        (made[1], "advanced"),
        (made[0], "duplicate"),
        (999, "not_found"),
        (made[3], "already_last"),
        (cancelled, "cancelled"),
    ]
    assert (result["advanced"], result["failed"]) == (2, 4)
    assert [e["session_id"] for e in db.events_of("session_status_changed")] == [made[0], made[1]]
    shown = sessions.get_session(session, made[0], NY)
    assert (shown["status_id"], shown["sequence"]) == (2, 1)


def test_the_fast_time_formatter_agrees_with_zoneinfo_across_dst_changes():
    from scheduling.timeutil import show, zone

    for name in ("America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"):
        tz, shown = zone(name), calendar.Shower(zone(name))
        start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        for minutes in range(0, 2 * 365 * 24 * 60, 7 * 60 + 13):
            value = start + dt.timedelta(minutes=minutes, microseconds=minutes % 3)
            assert shown(value) == show(value, tz), (name, value)
