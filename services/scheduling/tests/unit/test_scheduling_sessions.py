"""Booking sessions: times in the studio's zone, DST-correct series, conflicts in each mode,
client rules, pre-payment, changes and cancellations of one session or a series onward."""

import datetime as dt

import pytest

from proofsheet_shared.errors import Conflict, NotFound, Unprocessable, ValidationError
from scheduling import lookups, recurrence, sessions
from scheduling.timeutil import zone

from .conftest import NY

PORTRAIT = 1


def book(db, links, tz=NY, **fields):
    payload = {"client_id": 100, "session_type_id": PORTRAIT, "starts_at": "2026-03-03T10:00:00", **fields}
    return sessions.create_session(db, payload, 5, links, tz)


def mode(session, value, **extra):
    lookups.update_settings(session, {"conflict_mode": value, **extra})


def test_a_session_is_entered_and_shown_in_studio_time_and_stored_in_utc(db, links, session):
    made = book(db, links, photographer_id=5, room="Studio A", notes="bring props")
    assert made["starts_at"] == "2026-03-03T10:00:00-05:00"
    assert made["ends_at"] == "2026-03-03T11:00:00-05:00"  # the type's 60 minutes
    assert (made["status_id"], made["client_name"], made["time_zone"]) == (1, "Ada Lovelace", NY)
    row = sessions.get_row(session, made["id"])
    assert row.starts_at == dt.datetime(2026, 3, 3, 15, tzinfo=dt.timezone.utc)
    same_instant = book(db, links, starts_at="2026-03-04T15:00:00Z")
    assert same_instant["starts_at"] == "2026-03-04T10:00:00-05:00"
    assert db.event_types() == ["session_created", "session_created"]


def test_bad_times_and_references_are_clear_errors(db, links):
    cases = [
        ({"ends_at": "2026-03-03T09:00:00"}, ValidationError, "ends_at"),
        ({"starts_at": "2026-03-03"}, ValidationError, "starts_at"),
        ({"starts_at": "2026-03-08T02:30:00"}, ValidationError, "starts_at"),  # the DST gap
        ({"ends_at": "2026-03-05T10:00:00"}, ValidationError, "ends_at"),  # longer than a day
        ({"session_type_id": 99}, NotFound, "session_type_id"),
        ({"status_id": 99}, NotFound, "status_id"),
        ({"photographer_id": 99}, NotFound, "photographer_id"),
        ({"assistant_id": 8}, NotFound, "assistant_id"),  # inactive staff
        ({"photographer_id": 5, "assistant_id": 5}, ValidationError, "assistant_id"),
        ({"client_id": 999}, NotFound, "client_id"),
        ({"recurrence": {"rrule": "FREQ=DAILY;COUNT=3"}}, ValidationError, "recurrence.rrule"),
        ({"recurrence": {"rrule": "FREQ=WEEKLY"}}, ValidationError, "recurrence.rrule"),
        ({"recurrence": {"rrule": "FREQ=WEEKLY;COUNT=2;BYHOUR=3"}}, ValidationError, "recurrence.rrule"),
        ({"recurrence": {"rrule": "FREQ=WEEKLY;BYDAY=XX;COUNT=2"}}, ValidationError, "recurrence.rrule"),
    ]
    for fields, error, field in cases:
        with pytest.raises(error) as err:
            book(db, links, **fields)
        assert field in err.value.fields, (fields, err.value.fields)
    assert db.events == []


def test_a_weekly_series_keeps_10_00_local_across_both_dst_changes():
    tz = zone(NY)
    spring = recurrence.expand(
        "FREQ=WEEKLY;BYDAY=TU;COUNT=3", dt.datetime(2026, 3, 3, 10), dt.timedelta(hours=1), tz
    )
    assert [s.isoformat() for s, _ in spring] == [
        "2026-03-03T10:00:00-05:00",
        "2026-03-10T10:00:00-04:00",
        "2026-03-17T10:00:00-04:00",
    ]
    autumn = recurrence.expand(
        "FREQ=WEEKLY;UNTIL=20261110", dt.datetime(2026, 10, 27, 10), dt.timedelta(hours=1), tz
    )
    assert [s.isoformat() for s, _ in autumn] == [
        "2026-10-27T10:00:00-04:00",
        "2026-11-03T10:00:00-05:00",
        "2026-11-10T10:00:00-05:00",
    ]
    assert [(e - s) for s, e in autumn] == [dt.timedelta(hours=1)] * 3
    monthly = recurrence.expand(
        "FREQ=MONTHLY;BYDAY=2TU;COUNT=3;INTERVAL=2", dt.datetime(2026, 1, 1, 9), dt.timedelta(hours=1), tz
    )
    assert [s.date().isoformat() for s, _ in monthly] == ["2026-01-13", "2026-03-10", "2026-05-12"]


def test_a_series_books_every_occurrence_and_changes_and_cancels_from_one_onward(db, links, session):
    made = book(db, links, photographer_id=5, recurrence={"rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=4"})
    series = made["series"]
    assert len(series["session_ids"]) == 4 and made["recurrence"] == {"rrule": "FREQ=WEEKLY;COUNT=4;BYDAY=TU"}
    assert [o["starts_at"][11:] for o in series["occurrences"]] == [
        "10:00:00-05:00",
        "10:00:00-04:00",
        "10:00:00-04:00",
        "10:00:00-04:00",
    ]
    first, second, third, fourth = series["session_ids"]
    # from the second onward: an hour later and another photographer
    db.clear_events()
    changed = sessions.update_session(
        db,
        second,
        {"starts_at": "2026-03-10T11:00:00", "photographer_id": 6, "scope": "following"},
        5,
        links,
        NY,
    )
    assert changed["updated_sessions"] == [second, third, fourth]
    shown = [sessions.get_session(session, i, NY) for i in (first, second, third, fourth)]
    assert [s["starts_at"] for s in shown] == [
        "2026-03-03T10:00:00-05:00",
        "2026-03-10T11:00:00-04:00",
        "2026-03-17T11:00:00-04:00",
        "2026-03-24T11:00:00-04:00",
    ]
    assert [s["photographer_id"] for s in shown] == [5, 6, 6, 6]
    assert [s["sequence"] for s in shown] == [0, 1, 1, 1]
    assert db.event_types() == ["session_updated"] * 3
    cancelled = sessions.cancel_session(db, third, {"scope": "following"}, 5, NY)
    assert cancelled["cancelled"] == [third, fourth]
    assert sessions.client_references(session, 100) == {"sessions": 2}


def test_conflicts_never_warn_allow(db, links, session):
    first = book(db, links, photographer_id=5, assistant_id=6, room="Studio A")
    with pytest.raises(Conflict) as err:
        book(db, links, starts_at="2026-03-03T10:30:00", assistant_id=5)  # the photographer, as assistant
    assert f"session {first['id']}" in err.value.message and "assistant_id" in err.value.fields
    with pytest.raises(Conflict) as err:
        book(db, links, starts_at="2026-03-03T10:59:00", room="studio a")  # rooms match without case
    assert "room" in err.value.fields
    assert book(db, links, starts_at="2026-03-03T11:00:00", photographer_id=5)["conflicts"] == []  # touching
    mode(session, "warn")
    warned = book(db, links, starts_at="2026-03-03T10:15:00", photographer_id=6)
    assert [(c["field"], c["kind"], c["id"]) for c in warned["conflicts"]] == [
        ("photographer_id", "session", first["id"])
    ]
    mode(session, "allow")
    assert book(db, links, starts_at="2026-03-03T10:15:00", photographer_id=5)["conflicts"] == []
    mode(session, "never")
    sessions.cancel_session(db, first["id"], {}, 5, NY)
    with pytest.raises(Conflict):  # the warned and allowed ones still hold the slot
        book(db, links, starts_at="2026-03-03T10:20:00", photographer_id=6)


def test_client_rules_and_the_prepayment_rule(db, links, session):
    with pytest.raises(Unprocessable) as err:
        book(db, links, client_id=102)
    assert "client_id" in err.value.fields
    with pytest.raises(Unprocessable) as err:
        book(db, links, client_id=103, starts_at="2030-02-02T10:00:00")
    assert "starts_at" in err.value.fields
    weekday = book(db, links, client_id=101)
    assert [w["code"] for w in weekday["warnings"]] == ["saturday_only"]
    assert book(db, links, client_id=101, starts_at="2026-03-07T10:00:00")["warnings"] == []
    lookups.update_settings(session, {"prepayment_required": True, "prepayment_threshold": 3000})
    assert book(db, links, starts_at="2026-03-09T10:00:00")["id"]  # 5000 on account
    with pytest.raises(Unprocessable) as err:
        book(db, links, client_id=101, starts_at="2026-03-14T10:00:00")  # nothing on account
    assert "3000 missing" in err.value.message and "client_id" in err.value.fields


def test_a_cancelled_session_cannot_change(db, links):
    made = book(db, links)
    sessions.cancel_session(db, made["id"], None, 5, NY)
    again = sessions.cancel_session(db, made["id"], None, 5, NY)
    assert again["cancelled"] == []
    with pytest.raises(Unprocessable):
        sessions.update_session(db, made["id"], {"notes": "x"}, 5, links, NY)


def test_lists_filter_and_page(db, links, session):
    for day in range(2, 9):
        book(db, links, starts_at=f"2026-03-{day:02d}T09:00:00", photographer_id=5 if day % 2 else 6)
    page = sessions.list_sessions(session, {"photographer_id": "5", "limit": "2"}, NY)
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = sessions.list_sessions(session, {"photographer_id": "5", "cursor": page["next_cursor"]}, NY)
    assert [s["starts_at"][:10] for s in page["items"] + rest["items"]] == [
        "2026-03-03",
        "2026-03-05",
        "2026-03-07",
    ]
    ranged = sessions.list_sessions(session, {"from": "2026-03-04", "to": "2026-03-05"}, NY)
    assert [s["starts_at"][:10] for s in ranged["items"]] == ["2026-03-04", "2026-03-05"]
