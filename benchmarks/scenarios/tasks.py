"""Tasks: 200,000 × BENCH_SCALE tasks; "my open tasks" for one assignee, other hub lists, and
bulk advance of 5,000 tasks."""
import random
import statistics
import time

from .. import tasks_load as tl
from ..httpload import wrk
from ..registry import dataset, scenario
from ..stack import DATA, DB_PREFIX, SERVICES, HarnessError, ServiceSpec, log

# The stack learns how to run the tasks service here (benchmarks/stack.py lists clients).
SERVICES.setdefault("tasks", ServiceSpec("tasks", "services/tasks/alembic.ini", "services/tasks/config.yml",
                                         "tasks.service", "TASKS_DATABASE_URL"))

BASE_COUNT = 200_000
STAFF = 20
API_TASKS = 60
ADVANCE = 5_000
ADVANCE_RUNS = 3
DATABASE = DB_PREFIX + "tasks"


def _percentile(values, pct):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))]


def _staff(ctx):
    """STAFF staff users (made through the API the first time), and the admin's id."""
    stack = ctx.stack
    users = stack.api("GET", "/users?limit=500")["items"]
    have = {u["username"]: u["id"] for u in users}
    for index in range(STAFF):
        username = f"bench-staff-{index:02d}"
        if username not in have:
            have[username] = stack.api("POST", "/users", {"username": username, "name": f"Staff {index}",
                                                          "roles": ["staff"], "password": "bench-password-1"},
                                       expect=(201,))["id"]
    return [have[f"bench-staff-{index:02d}"] for index in range(STAFF)], have["admin"]


def _types(ctx):
    stack = ctx.stack
    have = {t["name"] for t in stack.api("GET", "/task-types")["items"]}
    for name, customer_service, statuses in tl.TYPES:
        if name not in have:
            stack.api("POST", "/task-types", {"name": name, "customer_service": customer_service,
                                              "statuses": [{"name": s, "closed": i == len(statuses) - 1}
                                                           for i, s in enumerate(statuses)]}, expect=(201,))
    listed = stack.api("GET", "/task-types")["items"]
    for task_type in listed:
        closed = [s["closed"] for s in task_type["statuses"]]
        if not closed or closed[-1] is not True or any(closed[:-1]):
            raise HarnessError(f"task type {task_type['name']!r}: the benchmark needs every type to close "
                               f"in its last status only, found {closed}")
    return listed


def _create_through_api(ctx, generator, admin_id):
    """Tasks through POST /api/v1/tasks (no client ids: the clients service is not in this stack);
    their stored rows compared with what build_rows makes of the same input."""
    stack = ctx.stack
    session = stack.session()
    latencies, mismatches, ids = [], [], []
    statuses = {s["id"]: s for t in generator.types for s in t["statuses"]}
    made = []
    for _ in range(API_TASKS):
        payload, _created, _statuses, _position = generator.task(random.random())
        payload.pop("client_id", None)
        started = time.perf_counter()
        task = stack.api("POST", "/tasks", payload, expect=(201,), session=session)
        latencies.append((time.perf_counter() - started) * 1000)
        made.append((payload, task))
        ids.append(task["id"])
    conn = stack.pg.connect(DATABASE)
    try:
        with conn.cursor() as cur:
            for payload, task in made:
                status = statuses[payload["status_id"]]
                expected = tl.build_row(payload, task["id"], status, tl.NOW, tl.NOW, admin_id)
                diffs = tl.compare_with_database(cur, task["id"], expected)
                if diffs:
                    mismatches.append({"task_id": task["id"], "differences": diffs})
    finally:
        conn.close()
    for mismatch in mismatches[:3]:
        log(f"  bulk/write-path mismatch for task {mismatch['task_id']}: {mismatch['differences'][:3]}")
    return {"created": len(made), "identical": len(made) - len(mismatches), "mismatches": mismatches[:10],
            "post_p50_ms": round(_percentile(latencies, 50), 1),
            "post_p95_ms": round(_percentile(latencies, 95), 1), "ids": ids}


@dataset("tasks")
def load_tasks(ctx):
    count = max(2_000, round(BASE_COUNT * ctx.scale))
    staff_ids, admin_id = _staff(ctx)
    task_types = _types(ctx)
    client_count = max(1, round(BASE_COUNT * ctx.scale))  # as many clients as the clients scenario loads
    generator = tl.Generator(task_types, staff_ids, client_count=client_count, seed=606)
    log(f"tasks: bulk load of {count:,} tasks into {DATABASE}")
    conn = ctx.stack.pg.connect(DATABASE)
    try:
        totals = tl.bulk_load(conn, count, generator, admin_id)
    finally:
        conn.close()
    log(f"tasks: creating {API_TASKS} tasks through POST /api/v1/tasks")
    api = _create_through_api(ctx, generator, admin_id)
    open_by = totals["open_by_assignee"]
    busiest = max(open_by, key=open_by.get)
    return {"count": count, "client_count": client_count, "staff_ids": staff_ids, "admin_id": admin_id,
            "load": totals, "api": api, "busiest_assignee": int(busiest), "busiest_open": open_by[busiest]}


def _paths_file(name, paths):
    path = DATA / f"tasks-{name}.txt"
    path.write_text("".join(p + "\n" for p in paths))
    return path


def _cpu_line(run):
    shares = run["cpu"]["pct_of_one_core"]
    postgres = shares.get("postgres (bench backends)", 0) + shares.get("postgres (rest of the server)", 0)
    parts = {"gateway": shares.get("gateway", 0), "tasks": shares.get("tasks", 0), "postgres": postgres,
             "rabbitmq": shares.get("rabbitmq (shared)", 0), "wrk": shares.get("wrk", 0)}
    per_request = ", ".join(f"{name} {pct * 10 / run['rps']:.2f}" for name, pct in parts.items()
                            if run["rps"])
    return f"{per_request} ms/req; other processes {shares.get('other', 0)}% of a core"


def _outbox_rows(ctx):
    conn = ctx.stack.pg.connect(DATABASE)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM outbox_events")
            return cur.fetchone()[0]
    finally:
        conn.close()


def _open_ids(ctx, limit, rng):
    conn = ctx.stack.pg.connect(DATABASE)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT id FROM tasks WHERE is_open")
            ids = [row[0] for row in cur.fetchall()]
    finally:
        conn.close()
    rng.shuffle(ids)
    return ids[:limit]


def _history_count(ctx):
    conn = ctx.stack.pg.connect(DATABASE)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM task_history")
            return cur.fetchone()[0]
    finally:
        conn.close()


@scenario("tasks", services=("tasks",))
def tasks(ctx):
    """My open tasks (one assignee), other hub lists, bulk advance of 5,000 tasks."""
    stack = ctx.stack
    data = ctx.dataset("tasks")
    load, api = data["load"], data["api"]
    ctx.info("tasks loaded (bulk)", data["count"], "tasks")
    ctx.info("open tasks / history entries", f"{load['open']:,} / {load['task_history']:,}")
    ctx.check("bulk load time", load["seconds"]["total"], "s", "<=", 180)
    ctx.check(f"write path = bulk rows ({api['created']} API tasks)", f"{api['identical']}/{api['created']}",
              "", "==", f"{api['created']}/{api['created']}", passed=api["identical"] == api["created"])
    ctx.info("POST /tasks p50 / p95 (sequential)", f"{api['post_p50_ms']} / {api['post_p95_ms']}", "ms")
    ctx.details["load"] = load
    ctx.details["api_tasks"] = {k: v for k, v in api.items() if k != "ids"}

    url, token = stack.gateways["gateway"], stack.token
    session = stack.session()

    # 1. "my open tasks": the busiest assignee's first page, over and over
    busiest = data["busiest_assignee"]
    mine = f"/api/v1/tasks?assignee_id={busiest}&open=true"
    page = stack.api("GET", mine[len("/api/v1"):], session=session)
    if len(page["items"]) != min(50, data["busiest_open"]) or not all(
            t["assignee_id"] == busiest and t["open"] for t in page["items"]):
        raise HarnessError(f"GET {mine} does not answer what the benchmark expects: "
                           f"{len(page['items'])} items of {data['busiest_open']} open")
    # one assignee looking at their list (c=1) is the target; four at once is for the record
    runs = {}
    mine_file = _paths_file("mine", [mine])
    runs["mine"] = wrk("tasks-my-open-c1", url, ["paths", mine_file], connections=1, threads=1, token=token,
                       stack=stack)
    runs["mine-c4"] = wrk("tasks-my-open-c4", url, ["paths", mine_file], connections=4, threads=2,
                          token=token, stack=stack)
    label = f"my open tasks (busiest of {STAFF} staff, {data['busiest_open']:,} open)"
    run = runs["mine"]
    ctx.check(f"{label} c=1 p95", round(run["p95_ms"], 1), "ms", "<=", 20)
    ctx.info("my open tasks c=1: req/s, p50/p99",
             f"{run['rps']:.0f}, {run['p50_ms']:.1f}/{run['p99_ms']:.1f} ms")
    ctx.info("CPU per 'my open tasks'", _cpu_line(run))
    four = runs["mine-c4"]
    ctx.info("my open tasks c=4: req/s, p50/p95/p99",
             f"{four['rps']:.0f}, {four['p50_ms']:.1f}/{four['p95_ms']:.1f}/{four['p99_ms']:.1f} ms")
    # the same request for one row: what the gateway → RPC → service path costs before any rows
    one_file = _paths_file("mine-1", [mine + "&limit=1"])
    runs["mine-limit1"] = wrk("tasks-my-open-limit1", url, ["paths", one_file], connections=1, threads=1,
                              token=token, stack=stack)
    one = runs["mine-limit1"]
    ctx.info("the same, limit=1 (the path without rows) c=1: p50/p95",
             f"{one['p50_ms']:.1f}/{one['p95_ms']:.1f} ms")
    errors = sum(run["errors"].values()) + sum(four["errors"].values())
    ctx.check("my open tasks errors", errors, "", "==", 0, passed=errors == 0)

    # 2. other lists of the hub, for the record
    rng = random.Random(11)
    others = {
        "all-staff": [f"/api/v1/tasks?assignee_id={rng.choice(data['staff_ids'])}&open=true"
                      for _ in range(200)],
        "overdue": ["/api/v1/tasks?overdue=true", "/api/v1/tasks?overdue=true&customer_service=true"],
        "client": [f"/api/v1/tasks?client_id={rng.randint(1, data['client_count'])}" for _ in range(500)],
    }
    labels = {"all-staff": "my open tasks, any of the staff", "overdue": "overdue (all / tickets)",
              "client": "a client's tasks"}
    for name, paths in others.items():
        runs[name] = wrk(f"tasks-{name}", url, ["paths", _paths_file(name, paths)], connections=4, threads=2,
                         token=token, stack=stack)
        run = runs[name]
        ctx.info(f"{labels[name]} c=4: req/s, p50/p95/p99",
                 f"{run['rps']:.0f}, {run['p50_ms']:.1f}/{run['p95_ms']:.1f}/{run['p99_ms']:.1f} ms"
                 + (f", {sum(run['errors'].values())} errors" if sum(run["errors"].values()) else ""))
    ctx.details["lists"] = runs

    # 3. bulk advance of 5,000 open tasks (each to the next status of its type), a few times
    seconds, drains, advanced, full, counts = [], [], 0, [], []
    history_before = _history_count(ctx)
    for _run in range(ADVANCE_RUNS):
        ids = _open_ids(ctx, ADVANCE, rng)
        counts.append(len(ids))
        if len(ids) < ADVANCE:
            log(f"  only {len(ids):,} open tasks left to advance")
        started = time.perf_counter()
        response = session.post(f"{url}/api/v1/tasks/advance-status", json={"ids": ids}, timeout=120)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise HarnessError(f"advance-status: {response.status_code} {response.text[:300]}")
        body = response.json()
        if body["advanced"] != len(ids) or len(body["items"]) != len(ids):
            raise HarnessError(f"advance-status moved {body['advanced']} of {len(ids)} tasks")
        seconds.append(elapsed)
        advanced += body["advanced"]
        if len(ids) == ADVANCE:
            full.append(elapsed)
        # its events go out after the reply: wait for the outbox to empty before the next run
        drain_started = time.monotonic()
        while _outbox_rows(ctx) and time.monotonic() - drain_started < 120:
            time.sleep(0.2)
        drains.append(time.monotonic() - drain_started + elapsed)
        log(f"  advance-status of {len(ids):,} tasks: {elapsed:.2f} s; events all sent after "
            f"{drains[-1]:.1f} s")
    moved = _history_count(ctx) - history_before
    if full:
        ctx.check(f"bulk advance of {ADVANCE:,} tasks (median of {len(full)})",
                  round(statistics.median(full), 2), "s", "<=", 3)
    else:
        ctx.check(f"bulk advance of {ADVANCE:,} tasks", None, "s", "<=", 3, passed=False)
    ctx.info(f"bulk advance: each run ({' / '.join(f'{n:,}' for n in counts)} tasks)",
             " / ".join(f"{s:.2f}" for s in seconds), "s")
    ctx.check("history entries written by the advances", moved, "", "==", advanced, passed=moved == advanced)
    ctx.info("task_status_changed events all published (median, from the request)",
             round(statistics.median(drains), 1), "s")
    ctx.details["advance"] = {"seconds": seconds, "events_published_after_s": drains}

    memory = stack.memory()
    ctx.details["memory_after_http_load"] = memory
    for name in ("tasks", "gateway"):
        if name in memory:
            entry = memory[name]
            ctx.info(f"RSS {name}", round(entry["rss_kib"] / 1024, 1), "MiB")

