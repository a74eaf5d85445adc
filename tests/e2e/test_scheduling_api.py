"""The scheduling API end to end, in America/New_York: booking in each conflict mode and two
concurrent requests for one slot; a weekly series across the March and November DST changes;
a change and a cancellation from one occurrence onward; the ICS feed read by the icalendar
library (events, times, time zone, cancellations), its token, a wrong one and rotation;
advance-status over 1,000 sessions with mixed ids; inactive and saturday-only clients; the
master calendar with a picture day shown once; a client with sessions cannot be deleted;
and every bad input answered with a clear error."""

import datetime as dt
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

import icalendar
import pytest
import requests

from stack import Stack, assert_error

pytestmark = pytest.mark.e2e

NY = "America/New_York"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """A stack of this module's own: it sets the studio's time zone and conflict mode."""
    running = Stack(tmp_path_factory.mktemp("scheduling-api")).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def admin(stack):
    ok(stack.admin.patch("/api/v1/settings/studio", json={"time_zone": NY}))
    # the services hear of the change by a broadcast event: wait until scheduling has it
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        shown = ok(stack.admin.get("/api/v1/sessions", params={"limit": 1}))
        probe = stack.admin.get("/api/v1/calendar", params={"from": "2030-01-01", "to": "2030-01-01"})
        if probe.status_code == 200 and probe.json()["time_zone"] == NY:
            break
        time.sleep(0.3)
    assert shown is not None
    return stack.admin


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def unique(prefix):
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def make_staff(admin, count=1):
    made = []
    for _ in range(count):
        username = f"s{uuid.uuid4().hex[:10]}"
        user = ok(
            admin.post(
                "/api/v1/users",
                json={
                    "username": username,
                    "name": f"Staff {username}",
                    "roles": ["staff"],
                    "password": "a-long-password",
                },
            ),
            201,
        )
        made.append((user["id"], username))
    return made


def make_client(admin, **fields):
    return ok(
        admin.post("/api/v1/clients", json={"first_name": "Sam", "last_name": unique("Sitter"), **fields}),
        201,
    )


def make_type(admin, minutes=60):
    return ok(
        admin.post("/api/v1/session-types", json={"name": unique("Portrait"), "duration_minutes": minutes}),
        201,
    )


def set_mode(admin, mode):
    ok(admin.patch("/api/v1/settings/scheduling", json={"conflict_mode": mode}))


def next_weekday(weekday, weeks=1):
    today = dt.datetime.now(ZoneInfo(NY)).date()
    return today + dt.timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks)


def book(admin, client, session_type, starts_at, **fields):
    return admin.post(
        "/api/v1/sessions",
        json={
            "client_id": client["id"],
            "session_type_id": session_type["id"],
            "starts_at": starts_at,
            **fields,
        },
    )


def test_each_conflict_mode_and_two_concurrent_requests_for_one_slot(stack, admin):
    (photographer, _), (assistant, _) = make_staff(admin, 2)
    client, portrait = make_client(admin), make_type(admin)
    day = next_weekday(1, 3).isoformat()
    set_mode(admin, "never")
    first = ok(
        book(
            admin,
            client,
            portrait,
            f"{day}T10:00:00",
            photographer_id=photographer,
            assistant_id=assistant,
            room="Studio B",
        ),
        201,
    )
    assert first["starts_at"].startswith(f"{day}T10:00:00") and first["conflicts"] == []
    clash = assert_error(
        book(admin, client, portrait, f"{day}T10:30:00", assistant_id=photographer),
        409,
        "conflict",
        "assistant_id",
    )
    assert f"session {first['id']}" in clash["message"]
    assert_error(book(admin, client, portrait, f"{day}T10:30:00", room="studio b"), 409, "conflict", "room")
    assert (
        ok(book(admin, client, portrait, f"{day}T11:00:00", photographer_id=photographer), 201)["conflicts"]
        == []
    )

    set_mode(admin, "warn")
    warned = ok(book(admin, client, portrait, f"{day}T10:15:00", photographer_id=assistant), 201)
    assert [(c["field"], c["kind"], c["id"]) for c in warned["conflicts"]] == [
        ("photographer_id", "session", first["id"])
    ]
    set_mode(admin, "allow")
    assert (
        ok(book(admin, client, portrait, f"{day}T10:20:00", photographer_id=photographer), 201)["conflicts"]
        == []
    )

    # two (here eight) requests for one free slot under never: exactly one booking
    set_mode(admin, "never")
    ((racer, _),) = make_staff(admin)
    slot = next_weekday(2, 3).isoformat()

    def attempt(minute):
        return book(admin, client, portrait, f"{slot}T14:{minute:02d}:00", photographer_id=racer).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(attempt, range(8)))
    assert sorted(codes) == [201] + [409] * 7, codes
    listed = ok(admin.get("/api/v1/sessions", params={"photographer_id": racer}))["items"]
    assert len(listed) == 1


def test_a_weekly_series_stays_at_10_local_across_both_dst_changes(stack, admin):
    client, portrait = make_client(admin), make_type(admin)
    year = dt.date.today().year + 1
    march = dt.date(year, 3, 1) + dt.timedelta(days=(1 - dt.date(year, 3, 1).weekday()) % 7)  # first Tuesday
    spring = ok(
        book(
            admin,
            client,
            portrait,
            f"{march.isoformat()}T10:00:00",
            recurrence={"rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=3"},
        ),
        201,
    )
    occurrences = spring["series"]["occurrences"]
    offsets = [o["starts_at"][19:] for o in occurrences]
    assert [o["starts_at"][11:19] for o in occurrences] == ["10:00:00"] * 3
    assert offsets[0] == "-05:00" and offsets[-1] == "-04:00"  # the March change lies inside
    november = dt.date(year, 10, 20)
    autumn = ok(
        book(
            admin,
            client,
            portrait,
            f"{november.isoformat()}T10:00:00",
            recurrence={"rrule": f"FREQ=WEEKLY;UNTIL={year}1115"},
        ),
        201,
    )
    shown = autumn["series"]["occurrences"]
    assert [o["starts_at"][11:19] for o in shown] == ["10:00:00"] * 4
    expected = [
        dt.datetime.combine(november + dt.timedelta(weeks=i), dt.time(10), ZoneInfo(NY)) for i in range(4)
    ]
    assert [o["starts_at"] for o in shown] == [e.isoformat() for e in expected]
    assert {o["starts_at"][19:] for o in shown} == {"-04:00", "-05:00"}  # the November change lies inside
    utc_hours = [dt.datetime.fromisoformat(o["starts_at"]).astimezone(dt.timezone.utc).hour for o in shown]
    assert set(utc_hours) == {14, 15}

    # from the second occurrence onward: an hour later; then cancel from the third
    ids = autumn["series"]["session_ids"]
    moved = ok(
        admin.patch(
            f"/api/v1/sessions/{ids[1]}",
            json={"starts_at": f"{shown[1]['starts_at'][:10]}T11:00:00", "scope": "following"},
        )
    )
    assert moved["updated_sessions"] == ids[1:]
    after = [ok(admin.get(f"/api/v1/sessions/{i}")) for i in ids]
    assert [s["starts_at"][11:19] for s in after] == ["10:00:00", "11:00:00", "11:00:00", "11:00:00"]
    cancelled = ok(admin.post(f"/api/v1/sessions/{ids[2]}/cancel", json={"scope": "following"}))
    assert cancelled["cancelled"] == ids[2:]
    assert [ok(admin.get(f"/api/v1/sessions/{i}"))["cancelled"] for i in ids] == [False, False, True, True]


def test_the_ics_feed_parses_with_its_events_times_and_time_zone(stack, admin, anonymous):
    (photographer, username), (other, _) = make_staff(admin, 2)
    client, portrait = make_client(admin, first_name="Ivy"), make_type(admin, minutes=90)
    day = next_weekday(1, 2)
    series = ok(
        book(
            admin,
            client,
            portrait,
            f"{day.isoformat()}T10:00:00",
            photographer_id=photographer,
            room="Studio A",
            notes="Family of five; bring, the dog",
            recurrence={"rrule": "FREQ=WEEKLY;COUNT=3"},
        ),
        201,
    )
    ids = series["series"]["session_ids"]
    ok(admin.post(f"/api/v1/sessions/{ids[2]}/cancel"))
    ok(admin.patch(f"/api/v1/sessions/{ids[1]}", json={"notes": "moved props"}))
    consult = ok(
        admin.post(
            "/api/v1/appointments",
            json={
                "title": "Album consultation",
                "starts_at": f"{(day + dt.timedelta(days=1)).isoformat()}T15:00:00",
                "ends_at": f"{(day + dt.timedelta(days=1)).isoformat()}T15:30:00",
                "staff_ids": [photographer, other],
            },
        ),
        201,
    )

    own = stack.login(username, "a-long-password")
    url = ok(own.get(f"/api/v1/calendars/{photographer}/feed"))["url"]
    assert f"/api/v1/calendars/{photographer}.ics?token=" in url
    assert ok(admin.get(f"/api/v1/calendars/{photographer}/feed"))["url"] == url
    assert_error(own.get(f"/api/v1/calendars/{other}/feed"), 403, "forbidden")
    response = requests.get(url, timeout=15)  # no bearer token: the feed's token is enough
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/calendar")
    feed = icalendar.Calendar.from_ical(response.text)
    assert [str(tz["TZID"]) for tz in feed.walk("VTIMEZONE")] == [NY]
    events = {str(e["UID"]): e for e in feed.walk("VEVENT")}
    assert set(events) == {f"session-{i}@proofsheet" for i in ids} | {
        f"appointment-{consult['id']}@proofsheet"
    }
    first = events[f"session-{ids[0]}@proofsheet"]
    starts = first.decoded("DTSTART")
    assert (starts.date(), starts.hour, starts.minute) == (day, 10, 0)
    assert str(first["DTSTART"].params["TZID"]) == NY
    assert starts.utcoffset() == dt.datetime.combine(day, dt.time(10), ZoneInfo(NY)).utcoffset()
    assert first.decoded("DTEND") - starts == dt.timedelta(minutes=90)
    assert str(first["LOCATION"]) == "Studio A" and "bring, the dog" in str(first["DESCRIPTION"])
    assert portrait["name"] in str(first["SUMMARY"]) and "Ivy" in str(first["SUMMARY"])
    assert [int(events[f"session-{i}@proofsheet"]["SEQUENCE"]) for i in ids] == [0, 1, 1]
    assert [str(events[f"session-{i}@proofsheet"]["STATUS"]) for i in ids] == [
        "CONFIRMED",
        "CONFIRMED",
        "CANCELLED",
    ]

    wrong = anonymous.get(f"/api/v1/calendars/{photographer}.ics", params={"token": "not-the-token"})
    assert_error(wrong, 404, "not_found")
    assert_error(anonymous.get(f"/api/v1/calendars/{photographer}.ics"), 404, "not_found")
    rotated = ok(own.post(f"/api/v1/calendars/{photographer}/feed/rotate"))["url"]
    assert rotated != url
    assert requests.get(url, timeout=15).status_code == 404
    assert requests.get(rotated, timeout=15).status_code == 200


def test_advance_status_of_1000_sessions_with_mixed_ids(stack, admin):
    client, portrait = make_client(admin), make_type(admin, minutes=30)
    statuses = ok(admin.get("/api/v1/session-statuses"))["items"]
    ids = []
    for hour in (8, 9, 10):
        made = ok(
            book(
                admin,
                client,
                portrait,
                f"{dt.date.today().year + 2}-01-05T{hour:02d}:00:00",
                recurrence={"rrule": "FREQ=WEEKLY;COUNT=334"},
            ),
            201,
        )
        ids += made["series"]["session_ids"]
    assert len(ids) == 1002
    last = ids[-1]
    ok(admin.patch(f"/api/v1/sessions/{last}", json={"status_id": statuses[-1]["id"]}))
    cancelled = ids[-2]
    ok(admin.post(f"/api/v1/sessions/{cancelled}/cancel"))
    listed = ids[:995] + [ids[0], 2_000_000_000, -3, last, cancelled]
    result = ok(admin.post("/api/v1/sessions/advance-status", json={"ids": listed}))
    outcome = [item["result"] for item in result["items"]]
    assert outcome[:995] == ["advanced"] * 995
    assert outcome[995:] == ["duplicate", "not_found", "not_found", "already_last", "cancelled"]
    assert (result["advanced"], result["failed"]) == (995, 5)
    assert result["items"][0]["status_id"] == statuses[1]["id"]
    shown = ok(admin.get(f"/api/v1/sessions/{ids[0]}"))
    assert (shown["status_id"], shown["sequence"]) == (statuses[1]["id"], 1)
    assert_error(
        admin.post("/api/v1/sessions/advance-status", json={"ids": list(range(1, 10_002))}),
        400,
        "validation_error",
        "ids",
    )


def test_inactive_and_saturday_only_clients(stack, admin):
    portrait = make_type(admin)
    gone = make_client(admin, inactive_date="2020-01-01")
    assert_error(
        book(admin, gone, portrait, f"{next_weekday(5).isoformat()}T10:00:00"),
        422,
        "unprocessable",
        "client_id",
    )
    weekend = make_client(admin, saturday_only=True)
    tuesday = ok(book(admin, weekend, portrait, f"{next_weekday(1).isoformat()}T10:00:00"), 201)
    assert [w["code"] for w in tuesday["warnings"]] == ["saturday_only"]
    saturday = ok(book(admin, weekend, portrait, f"{next_weekday(5).isoformat()}T10:00:00"), 201)
    assert saturday["warnings"] == []
    # sessions hold the client: deleting it is refused until they are cancelled
    assert_error(admin.delete(f"/api/v1/clients/{weekend['id']}"), 409, "conflict", "scheduling.sessions")
    for made in (tuesday, saturday):
        ok(admin.post(f"/api/v1/sessions/{made['id']}/cancel"))
    assert admin.delete(f"/api/v1/clients/{weekend['id']}").status_code == 204


def test_calendars_of_one_staff_member_and_the_master_with_a_picture_day_once(stack, admin):
    (photographer, _), (assistant, _) = make_staff(admin, 2)
    portrait = make_type(admin, minutes=15)
    school = ok(admin.post("/api/v1/organizations", json={"name": unique("Lincoln High")}), 201)
    day = next_weekday(3, 5)
    picture_day = ok(
        admin.post(
            "/api/v1/appointments",
            json={
                "title": "Lincoln High picture day",
                "starts_at": f"{day}T08:00:00",
                "ends_at": f"{day}T16:00:00",
                "staff_ids": [assistant],
                "organization_id": school["id"],
            },
        ),
        201,
    )
    students = [make_client(admin, organization_id=school["id"]) for _ in range(4)]
    for index, student in enumerate(students):
        ok(
            book(
                admin,
                student,
                portrait,
                f"{day}T{9 + index:02d}:00:00",
                photographer_id=photographer,
                organization_id=school["id"],
            ),
            201,
        )
    mine = ok(
        admin.get(
            "/api/v1/calendar",
            params={"staff_id": photographer, "from": day.isoformat(), "to": day.isoformat()},
        )
    )
    assert [i["kind"] for i in mine["items"]] == ["session"] * 4
    master = ok(admin.get("/api/v1/calendar", params={"from": day.isoformat(), "to": day.isoformat()}))
    ours = [i for i in master["items"] if i["organization_id"] == school["id"]]
    assert [(i["kind"], i["id"], i["session_count"]) for i in ours] == [("appointment", picture_day["id"], 4)]
    assert master["time_zone"] == NY and master["from"].startswith(f"{day}T00:00:00")


def test_bad_inputs_are_clear_errors(stack, admin):
    client, portrait = make_client(admin), make_type(admin)
    day = next_weekday(4, 6).isoformat()
    cases = [
        (
            book(admin, client, portrait, f"{day}T10:00:00", ends_at=f"{day}T09:00:00"),
            400,
            "validation_error",
            "ends_at",
        ),
        (
            book(admin, client, portrait, f"{day}T10:00:00", photographer_id=999_999),
            404,
            "not_found",
            "photographer_id",
        ),
        (book(admin, {"id": 999_999}, portrait, f"{day}T10:00:00"), 404, "not_found", "client_id"),
        (book(admin, client, {"id": 999_999}, f"{day}T10:00:00"), 404, "not_found", "session_type_id"),
        (
            book(admin, client, portrait, f"{day}T10:00:00", recurrence={"rrule": "FREQ=SOMETIMES;COUNT=2"}),
            400,
            "validation_error",
            "recurrence.rrule",
        ),
        (
            book(admin, client, portrait, f"{day}T10:00:00", recurrence={"rrule": "FREQ=WEEKLY"}),
            400,
            "validation_error",
            "recurrence.rrule",
        ),
        (book(admin, client, portrait, "next tuesday"), 400, "validation_error", "starts_at"),
        (
            admin.get("/api/v1/calendar", params={"from": "2026-01-01", "to": "2027-06-01"}),
            400,
            "validation_error",
            "to",
        ),
        (admin.get("/api/v1/calendar", params={"from": "2026-01-01"}), 400, "validation_error", "to"),
        (
            admin.post(
                "/api/v1/appointments",
                json={
                    "title": "X",
                    "starts_at": f"{day}T10:00:00",
                    "ends_at": f"{day}T11:00:00",
                    "staff_ids": [],
                },
            ),
            400,
            "validation_error",
            "staff_ids",
        ),
        (
            admin.patch("/api/v1/settings/scheduling", json={"conflict_mode": "sometimes"}),
            400,
            "validation_error",
            "conflict_mode",
        ),
        (admin.get("/api/v1/sessions/999999999"), 404, "not_found", "id"),
    ]
    for response, status, code, field in cases:
        assert_error(response, status, code, field)
    assert ok(admin.get("/api/v1/sessions", params={"client_id": client["id"]}))["items"] == []


def test_permissions_and_the_openapi_document(stack, admin):
    ((_, username),) = make_staff(admin)
    staff = stack.login(username, "a-long-password")
    assert ok(staff.get("/api/v1/session-statuses"))["items"]
    assert_error(staff.patch("/api/v1/settings/scheduling", json={"conflict_mode": "warn"}), 403, "forbidden")
    assert_error(
        staff.post("/api/v1/session-types", json={"name": "X", "duration_minutes": 30}), 403, "forbidden"
    )
    paths = ok(admin.get("/api/v1/openapi.json"))["paths"]
    for path in (
        "/api/v1/sessions",
        "/api/v1/sessions/advance-status",
        "/api/v1/calendar",
        "/api/v1/calendars/{staff_id}.ics",
        "/api/v1/wizards/schedule",
        "/api/v1/appointments/{appointment_id}",
        "/api/v1/settings/scheduling",
        "/api/v1/session-types",
        "/api/v1/session-statuses",
    ):
        assert path in paths, path
