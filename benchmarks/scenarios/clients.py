"""Clients: 200,000 × BENCH_SCALE clients, read by id, searched, and the processes' memory."""
import random
import time
from urllib.parse import quote

from clients.text import digits

from .. import clients_data as cd
from ..clients_load import bulk_load
from ..httpload import wrk
from ..names import GROUPS, ORGANIZATIONS
from ..registry import dataset, scenario
from ..stack import DATA, DB_PREFIX, HarnessError, log

BASE_COUNT = 200_000
API_CLIENTS = 100
DATABASE = DB_PREFIX + "clients"


def _lookups(ctx):
    """The seeded lists, plus groups and organizations created through the API."""
    stack = ctx.stack

    def listed(kind):
        return {item["name"]: item["id"] for item in stack.api("GET", f"/{kind}")["items"]}

    for kind, wanted in (("client-groups", GROUPS), ("organizations", ORGANIZATIONS)):
        have = listed(kind)
        for index, name in enumerate(wanted):
            if name not in have:
                stack.api("POST", f"/{kind}", {"name": name, "sort_order": 10 * (index + 1)})
    return cd.Lookups(statuses=listed("client-statuses"), lead_sources=listed("lead-sources"),
                      groups=listed("client-groups"), organizations=listed("organizations"),
                      relationships=listed("relationships"), phone_labels=list(listed("phone-labels")))


def _percentile(values, pct):
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))]


def _create_through_api(ctx, lookups, bulk_count):
    """Clients (and their family) through POST /api/v1/clients; the rows compared with build_rows."""
    stack = ctx.stack
    generator = cd.Generator(lookups, seed=4242)
    session = stack.session()
    latencies, made = [], []
    for _ in range(API_CLIENTS):
        record = generator.client(max_existing_id=bulk_count)
        started = time.perf_counter()
        created = stack.api("POST", "/clients", cd.json_payload(record["payload"]), expect=(201,),
                            session=session)
        latencies.append((time.perf_counter() - started) * 1000)
        family_ids = [stack.api("POST", f"/clients/{created['id']}/family-members", cd.json_payload(member),
                                expect=(201,), session=session)["id"]
                      for member in record["family"]]
        made.append((record, created, family_ids))
    mismatches = []
    conn = stack.pg.connect(DATABASE)
    try:
        with conn.cursor() as cur:
            for record, created, family_ids in made:
                expected = cd.build_rows(record, created["id"], created["client_number"], family_ids,
                                         None, None, lookups)
                diffs = cd.compare_with_database(cur, created["id"], expected)
                if diffs:
                    mismatches.append({"client_id": created["id"], "differences": diffs})
    finally:
        conn.close()
    for mismatch in mismatches[:3]:
        log(f"  bulk/write-path mismatch for client {mismatch['client_id']}: {mismatch['differences'][:3]}")
    return {"created": len(made), "family_members": sum(len(f) for _r, _c, f in made),
            "post_p50_ms": round(_percentile(latencies, 50), 1),
            "post_p95_ms": round(_percentile(latencies, 95), 1),
            "identical": len(made) - len(mismatches), "mismatches": mismatches[:10],
            "ids": [c["id"] for _r, c, _f in made]}


@dataset("clients")
def load_clients(ctx):
    count = max(1_000, round(BASE_COUNT * ctx.scale))
    lookups = _lookups(ctx)
    log(f"clients: bulk load of {count:,} clients into {DATABASE}")
    conn = ctx.stack.pg.connect(DATABASE)
    try:
        totals, samples = bulk_load(conn, count, lookups)
    finally:
        conn.close()
    log(f"clients: creating {API_CLIENTS} clients through POST /api/v1/clients")
    api = _create_through_api(ctx, lookups, count)
    return {"count": count, "lookups": lookups.as_dict(), "load": totals, "samples": samples, "api": api}


def _queries(samples, kind, rng, count=2_000):
    queries = []
    for _ in range(count):
        sample = rng.choice(samples)
        if kind == "name":
            q = sample["last_name"][:3]
        elif kind == "phone":
            number = digits(rng.choice(sample["phones"]))
            length = rng.randint(4, 6)
            start = rng.randint(0, len(number) - length)
            q = number[start:start + length]
        else:
            q = sample["client_number"]
        queries.append((q, sample["id"]))
    return queries


def _write_paths(kind, queries):
    path = DATA / f"search-{kind}.txt"
    path.write_text("".join(f"/api/v1/clients?q={quote(q, safe='')}\n" for q, _id in queries))
    return path


def _check_search(ctx, kind, queries):
    """A few queries by hand: every one finds something; a client number finds its client
    (unless more clients match it as a prefix than fit on the first page)."""
    session = ctx.stack.session()
    empty, missed = 0, 0
    for q, client_id in queries[:25]:
        page = ctx.stack.api("GET", f"/clients?q={quote(q, safe='')}", session=session)
        ids = [item["id"] for item in page["items"]]
        empty += not ids
        if kind == "number" and client_id not in ids and not page.get("next_cursor"):
            missed += 1
    return empty, missed


def _cpu_line(run, service="gateway"):
    """CPU milliseconds per request of each part, and what other processes took meanwhile."""
    shares = run["cpu"]["pct_of_one_core"]
    postgres = shares.get("postgres (bench backends)", 0) + shares.get("postgres (rest of the server)", 0)
    parts = {"gateway": shares.get(service, 0), "clients": shares.get("clients", 0), "postgres": postgres,
             "rabbitmq": shares.get("rabbitmq (shared)", 0), "wrk": shares.get("wrk", 0)}
    per_request = ", ".join(f"{name} {pct * 10 / run['rps']:.2f}" for name, pct in parts.items()
                            if run["rps"])
    return f"{per_request} ms/req; other processes {shares.get('other', 0)}% of a core"


@scenario("clients", services=("clients",))
def clients(ctx):
    """Read by id (fast RPC client vs stock ClusterRpcProxy vs plain Flask), search, memory."""
    stack = ctx.stack
    data = ctx.dataset("clients")
    count, load, api = data["count"], data["load"], data["api"]
    ctx.info("clients loaded (bulk)", count, "clients")
    ctx.info("family members / search terms loaded",
             f"{load['family_members']:,} / {load['client_search_terms']:,}")
    ctx.check("bulk load time", load["seconds"]["total"], "s", "<=", 180)
    ctx.check(f"write path = bulk rows ({api['created']} API clients)",
              f"{api['identical']}/{api['created']}", "", "==", f"{api['created']}/{api['created']}",
              passed=api["identical"] == api["created"])
    ctx.info("POST /clients p50 / p95 (sequential)", f"{api['post_p50_ms']} / {api['post_p95_ms']}", "ms")
    ctx.details["load"] = load
    ctx.details["api_clients"] = {k: v for k, v in api.items() if k != "ids"}
    ctx.details["memory_after_bulk_load"] = stack.memory()

    # 1. GET /api/v1/clients/{id}: fast client, stock ClusterRpcProxy pool, plain Flask
    token = stack.token
    fast_url = stack.gateways["gateway"]
    stock_url = stack.start_gateway("gateway-stock",
                                    extra_env={"GATEWAY_RPC_CLIENT": "stock", "RPC_POOL_SIZE": "8"})
    plain_url = stack.start_gateway("plain-flask", app="benchmarks.plain_app:create_app()",
                                    extra_env={"BENCH_PLAIN_SOURCE": f"{fast_url}/api/v1/clients/1",
                                               "BENCH_TOKEN": token})
    bodies = {}
    for name, url in (("fast", fast_url), ("stock", stock_url), ("plain", plain_url)):
        response = stack.session().get(f"{url}/api/v1/clients/1", timeout=30)
        if response.status_code != 200:
            raise HarnessError(f"GET /api/v1/clients/1 on the {name} app: {response.status_code} "
                               f"{response.text[:300]}")
        bodies[name] = response.json()
    if not bodies["fast"] == bodies["stock"] == bodies["plain"]:
        raise HarnessError("the fast, stock and plain apps answer GET /api/v1/clients/1 differently")

    by_id = {}
    for name, url in (("fast", fast_url), ("stock", stock_url), ("plain", plain_url)):
        by_id[name] = wrk(f"get-by-id-{name}", url, ["ids", "/api/v1/clients/{id}", count], connections=16,
                          threads=2, token=token, stack=stack)
    ctx.details["get_by_id"] = by_id
    fast = by_id["fast"]
    errors = sum(fast["errors"].values())
    ctx.check("GET /clients/{id} c=16 throughput", round(fast["rps"]), "req/s", ">=", 1000)
    ctx.check("GET /clients/{id} c=16 p99", round(fast["p99_ms"], 1), "ms", "<=", 25)
    ctx.info("GET /clients/{id} c=16 p50 / p95",
             f"{fast['p50_ms']:.1f} / {fast['p95_ms']:.1f}", "ms")
    ctx.check("GET /clients/{id} errors (fast)", errors, "", "==", 0, passed=errors == 0)
    for name in ("stock", "plain"):
        run = by_id[name]
        ctx.info(f"GET /clients/{{id}} c=16 {name}: req/s, p50/p99",
                 f"{run['rps']:.0f}, {run['p50_ms']:.1f}/{run['p99_ms']:.1f} ms"
                 + (f", {sum(run['errors'].values())} errors" if sum(run["errors"].values()) else ""))
    ctx.info("CPU per GET /clients/{id} (fast)", _cpu_line(fast))
    ctx.info("CPU per GET /clients/{id} (stock)", _cpu_line(by_id["stock"], "gateway-stock"))
    ratio = fast["rps"] / by_id["stock"]["rps"] if by_id["stock"]["rps"] else float("inf")
    ctx.check("throughput fast / stock ClusterRpcProxy", round(ratio, 2), "×", ">=", 2)
    ctx.info("throughput fast / plain Flask", round(fast["rps"] / by_id["plain"]["rps"], 2)
             if by_id["plain"]["rps"] else None, "×")

    # 2. search over the loaded clients
    rng = random.Random(7)
    search = {}
    for kind, label in (("name", "name prefix (3 letters)"), ("phone", "phone fragment (4-6 digits)"),
                        ("number", "client number")):
        queries = _queries(data["samples"], kind, rng)
        empty, missed = _check_search(ctx, kind, queries)
        if empty or missed:
            raise HarnessError(f"search by {kind}: {empty} of 25 queries found nothing, {missed} missed "
                               "their client; the benchmark would measure the wrong thing")
        run = wrk(f"search-{kind}", fast_url, ["paths", _write_paths(kind, queries)], connections=4,
                  threads=2, token=token, stack=stack)
        search[kind] = run
        run_errors = sum(run["errors"].values())
        ctx.check(f"search {label} c=4 p95", round(run["p95_ms"], 1), "ms", "<=", 50)
        ctx.info(f"search {label}: req/s, p50/p99",
                 f"{run['rps']:.0f}, {run['p50_ms']:.1f}/{run['p99_ms']:.1f} ms"
                 + (f", {run_errors} errors" if run_errors else ""))
        if run_errors:
            ctx.check(f"search {label} errors", run_errors, "", "==", 0, passed=False)
    ctx.details["search"] = search

    runs = list(by_id.values()) + list(search.values())
    other = max(run["cpu"]["pct_of_one_core"].get("other", 0) for run in runs)
    ctx.info("CPU used by other processes during measurements (max)",
             f"{other}% of a core" + (" - numbers disturbed" if other > 25 else ""))

    # 3. memory after the load
    memory = stack.memory()
    ctx.details["memory_after_http_load"] = memory
    for name, entry in memory.items():
        processes = len(entry["processes"])
        ctx.info(f"RSS {name}" + (f" ({processes} processes)" if processes > 1 else ""),
                 round(entry["rss_kib"] / 1024, 1), "MiB")
