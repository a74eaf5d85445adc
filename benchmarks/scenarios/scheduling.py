"""Scheduling: 500,000 × BENCH_SCALE sessions over two years and 20 staff, in America/New_York;
one staff member's week, the master calendar of one day, a staff member's ICS feed (a year),
and advance-status of 10,000 sessions."""

import random
import statistics
import time

import requests

from .. import scheduling_load as sl
from ..httpload import wrk
from ..registry import dataset, scenario
from ..stack import DATA, DB_PREFIX, SERVICES, HarnessError, ServiceSpec, log
from .tasks import STAFF, _staff

# The stack learns how to run the scheduling service here (benchmarks/stack.py lists clients).
SERVICES.setdefault(
    "scheduling",
    ServiceSpec(
        "scheduling",
        "services/scheduling/alembic.ini",
        "services/scheduling/config.yml",
        "scheduling.service",
        "SCHEDULING_DATABASE_URL",
    ),
)

BASE_COUNT = 500_000
TIME_ZONE = "America/New_York"
DATABASE = DB_PREFIX + "scheduling"
API_SESSIONS = 40
ADVANCE = 10_000
ADVANCE_RUNS = 3
FEEDS = 10


def _percentile(values, pct):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))]


def _query(ctx, sql_text, params=()):
    conn = ctx.stack.pg.connect(DATABASE)
    try:
        with conn.cursor() as cur:
            cur.execute(sql_text, params)
            return cur.fetchall()
    finally:
        conn.close()


def _wait_for_time_zone(stack, zone):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        shown = stack.api("GET", "/calendar?from=2030-01-01&to=2030-01-01")
        if shown["time_zone"] == zone:
            return
        time.sleep(0.3)
    raise HarnessError(f"the scheduling service did not take the studio time zone {zone}")


@dataset("sessions")
def load_sessions(ctx):
    stack = ctx.stack
    count = max(5_000, round(BASE_COUNT * ctx.scale))
    staff_ids, admin_id = _staff(ctx)
    stack.api("PATCH", "/settings/studio", {"time_zone": TIME_ZONE})
    _wait_for_time_zone(stack, TIME_ZONE)
    stack.api("PATCH", "/settings/scheduling", {"conflict_mode": "allow"})
    types = stack.api("GET", "/session-types")["items"]
    if not any(t["name"] == "School portrait" for t in types):
        stack.api(
            "POST", "/session-types", {"name": "School portrait", "duration_minutes": 15}, expect=(201,)
        )
        types = stack.api("GET", "/session-types")["items"]
    statuses = [s["id"] for s in stack.api("GET", "/session-statuses")["items"]]
    generator = sl.Generator(
        staff_ids,
        [t["id"] for t in types],
        {t["id"]: t["duration_minutes"] for t in types},
        statuses,
        client_count=max(1, round(200_000 * ctx.scale)),
        time_zone=TIME_ZONE,
        seed=505,
    )
    log(f"scheduling: bulk load of {count:,} sessions into {DATABASE}")
    conn = stack.pg.connect(DATABASE)
    try:
        totals = sl.bulk_load(conn, count, generator, admin_id)
    finally:
        conn.close()
    return {
        "count": count,
        "staff_ids": staff_ids,
        "admin_id": admin_id,
        "load": totals,
        "first_day": generator.first_day.isoformat(),
        "statuses": statuses,
        "types": types,
    }


def _paths_file(name, paths):
    path = DATA / f"scheduling-{name}.txt"
    path.write_text("".join(p + "\n" for p in paths))
    return path


def _cpu_line(run):
    shares = run["cpu"]["pct_of_one_core"]
    postgres = shares.get("postgres (bench backends)", 0) + shares.get("postgres (rest of the server)", 0)
    parts = {
        "gateway": shares.get("gateway", 0),
        "scheduling": shares.get("scheduling", 0),
        "postgres": postgres,
        "rabbitmq": shares.get("rabbitmq (shared)", 0),
        "wrk": shares.get("wrk", 0),
    }
    return (
        ", ".join(f"{name} {pct * 10 / run['rps']:.2f}" for name, pct in parts.items() if run["rps"])
        + " ms/req"
    )


def _outbox_rows(ctx):
    return _query(ctx, "SELECT count(*) FROM outbox_events")[0][0]


@scenario("scheduling", services=("clients", "scheduling"))
def scheduling(ctx):
    """One staff member's week, the master calendar of a day, ICS feeds, bulk advance of 10,000."""
    import datetime as dt

    stack = ctx.stack
    data = ctx.dataset("sessions")
    load = data["load"]
    ctx.info("sessions loaded (bulk)", data["count"], "sessions")
    ctx.check("bulk load time", load["seconds"]["total"], "s", "<=", 300)
    ctx.details["load"] = load
    url, token = stack.gateways["gateway"], stack.token
    session = stack.session()
    rng = random.Random(17)
    first_day = dt.date.fromisoformat(data["first_day"])
    days = [first_day + dt.timedelta(days=rng.randrange(700)) for _ in range(400)]

    # a few bookings through the API (conflict mode allow: the generated studio is overbooked)
    latencies = []
    clients = [
        stack.api(
            "POST",
            "/clients",
            {"first_name": "Bench", "last_name": f"Booker {index}"},
            expect=(201,),
            session=session,
        )["id"]
        for index in range(API_SESSIONS)
    ]
    for index in range(API_SESSIONS):
        started = time.perf_counter()
        stack.api(
            "POST",
            "/sessions",
            {
                "client_id": clients[index],
                "session_type_id": data["types"][0]["id"],
                "starts_at": f"{days[index].isoformat()}T09:00:00",
                "photographer_id": data["staff_ids"][index % STAFF],
                "room": "Studio A",
            },
            expect=(201,),
            session=session,
        )
        latencies.append((time.perf_counter() - started) * 1000)
    ctx.info(
        "POST /sessions p50 / p95 (sequential)",
        f"{_percentile(latencies, 50):.1f} / {_percentile(latencies, 95):.1f}",
        "ms",
    )

    # 1. one staff member's week
    week_paths = []
    for day in days:
        monday = day - dt.timedelta(days=day.weekday())
        week_paths.append(
            f"/api/v1/calendar?staff_id={rng.choice(data['staff_ids'])}&from={monday.isoformat()}"
            f"&to={(monday + dt.timedelta(days=6)).isoformat()}"
        )
    sample = stack.api("GET", week_paths[0][len("/api/v1") :], session=session)
    week_items = len(sample["items"])
    if not week_items:
        raise HarnessError(
            f"GET {week_paths[0]} found nothing: the load did not do what the benchmark expects"
        )
    runs = {}
    runs["week"] = wrk(
        "scheduling-staff-week",
        url,
        ["paths", _paths_file("week", week_paths)],
        connections=1,
        threads=1,
        token=token,
        stack=stack,
    )
    run = runs["week"]
    ctx.check(
        f"GET /calendar one staff member, one week (~{week_items} items) p95",
        round(run["p95_ms"], 1),
        "ms",
        "<=",
        30,
    )
    ctx.info(
        "staff week c=1: req/s, p50/p99", f"{run['rps']:.0f}, {run['p50_ms']:.1f}/{run['p99_ms']:.1f} ms"
    )
    ctx.info("CPU per staff week", _cpu_line(run))

    # 2. the master calendar of one day
    day_paths = [f"/api/v1/calendar?from={d.isoformat()}&to={d.isoformat()}" for d in days]
    day_items = len(stack.api("GET", day_paths[0][len("/api/v1") :], session=session)["items"])
    runs["day"] = wrk(
        "scheduling-master-day",
        url,
        ["paths", _paths_file("day", day_paths)],
        connections=1,
        threads=1,
        token=token,
        stack=stack,
    )
    run = runs["day"]
    ctx.check(
        f"GET /calendar master, one day (~{day_items} items) p95", round(run["p95_ms"], 1), "ms", "<=", 50
    )
    ctx.info(
        "master day c=1: req/s, p50/p99", f"{run['rps']:.0f}, {run['p50_ms']:.1f}/{run['p99_ms']:.1f} ms"
    )
    ctx.info("CPU per master day", _cpu_line(run))
    errors = sum(sum(r["errors"].values()) for r in runs.values())
    ctx.check("calendar errors", errors, "", "==", 0, passed=errors == 0)
    ctx.details["calendars"] = runs

    # 3. ICS feeds of a year, one staff member after another
    feed_times, sizes, events = [], [], []
    for staff_id in data["staff_ids"][:FEEDS]:
        feed_url = stack.api("GET", f"/calendars/{staff_id}/feed", session=session)["url"]
        started = time.perf_counter()
        response = requests.get(feed_url, timeout=60)
        feed_times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise HarnessError(f"ICS feed of staff {staff_id}: {response.status_code} {response.text[:200]}")
        sizes.append(len(response.content))
        events.append(response.text.count("BEGIN:VEVENT"))
    ctx.check(
        f"ICS feed of one staff member, a year (~{statistics.median(events):.0f} events) p95 of {FEEDS}",
        round(_percentile(feed_times, 95), 1),
        "ms",
        "<=",
        500,
    )
    ctx.info(
        "ICS feed median time / size",
        f"{statistics.median(feed_times):.0f} ms / {statistics.median(sizes) / 1e6:.1f} MB",
    )
    ctx.details["feeds"] = {"ms": feed_times, "bytes": sizes, "events": events}

    # 4. advance-status of 10,000 sessions (each to the next status), a few times
    seconds, drains, full = [], [], []
    last_status = data["statuses"][-1]
    for _run in range(ADVANCE_RUNS):
        rows = _query(
            ctx,
            "SELECT id FROM sessions WHERE NOT cancelled AND status_id <> %s ORDER BY random() LIMIT %s",
            (last_status, ADVANCE),
        )
        ids = [r[0] for r in rows]
        started = time.perf_counter()
        response = session.post(f"{url}/api/v1/sessions/advance-status", json={"ids": ids}, timeout=120)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise HarnessError(f"advance-status: {response.status_code} {response.text[:300]}")
        body = response.json()
        if body["advanced"] != len(ids):
            raise HarnessError(f"advance-status moved {body['advanced']} of {len(ids)} sessions")
        seconds.append(elapsed)
        if len(ids) == ADVANCE:
            full.append(elapsed)
        drain_started = time.monotonic()
        while _outbox_rows(ctx) and time.monotonic() - drain_started < 120:
            time.sleep(0.2)
        drains.append(time.monotonic() - drain_started + elapsed)
        log(
            f"  advance-status of {len(ids):,} sessions: {elapsed:.2f} s; "
            f"events all sent after {drains[-1]:.1f} s"
        )
    ctx.check(
        f"advance-status of {ADVANCE:,} sessions (median of {len(full)})",
        round(statistics.median(full), 2) if full else None,
        "s",
        "<=",
        5,
        passed=None if full else False,
    )
    ctx.info("advance-status: each run", " / ".join(f"{s:.2f}" for s in seconds), "s")
    ctx.info(
        "session_status_changed events all published (median, from the request)",
        round(statistics.median(drains), 1),
        "s",
    )
    ctx.details["advance"] = {"seconds": seconds, "events_published_after_s": drains}

    memory = stack.memory()
    ctx.details["memory_after_http_load"] = memory
    for name in ("scheduling", "gateway"):
        if name in memory:
            ctx.info(f"RSS {name}", round(memory[name]["rss_kib"] / 1024, 1), "MiB")
