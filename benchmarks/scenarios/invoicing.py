"""Invoicing: 300,000 × BENCH_SCALE invoices (1–8 lines) over the loaded clients; creating a
5-line invoice through the gateway, a client's balance, and the aging report over all clients.

Targets (issue 3): POST /invoices (5 lines) p95 ≤ 40 ms; GET /clients/{id}/balance p95 ≤ 15 ms;
GET /reports/aging over all clients ≤ 3 s. Latency targets are measured with one connection
(one person at the counter); the same requests with more connections are shown beside them.
"""
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from invoicing import money

from ..httpload import duration, warmup_seconds, wrk
from ..invoicing_load import FIRST_NUMBER, Catalog, bulk_load
from ..registry import dataset, scenario
from ..stack import DB_PREFIX, LOGS, SERVICES, CpuMeter, HarnessError, ServiceSpec, log

SERVICES.setdefault("invoicing", ServiceSpec("invoicing", "services/invoicing/alembic.ini",
                                             "services/invoicing/config.yml", "invoicing.service",
                                             "INVOICING_DATABASE_URL"))

BASE_COUNT = 300_000
DATABASE = DB_PREFIX + "invoicing"
POST_SCRIPT = Path(__file__).resolve().parents[1] / "invoicing_post.lua"
ITEMS = [("SIT", "Session fee", 15000, False), ("SIT-FAM", "Family session fee", 25000, False),
         ("4X6", "4x6 print", 899, True), ("5X7", "5x7 print", 1499, True),
         ("8X10", "8x10 print", 2499, True),
         ("11X14", "11x14 print", 4999, True), ("16X20", "16x20 canvas", 14999, True),
         ("WAL", "Wallet sheet", 1299, True), ("ALB-S", "Small album", 19999, True),
         ("ALB-L", "Large album", 49999, True), ("USB", "Digital files on USB", 29900, True),
         ("DIG", "Digital file", 3500, True), ("RET", "Retouching", 2500, False),
         ("FRM", "Frame", 8999, True), ("RUSH", "Rush fee", 5000, False), ("SHIP", "Shipping", 1200, False)]


def _catalog(stack):
    tag = time.strftime("%H%M%S")
    rate = stack.api("POST", "/tax-rates", {"name": f"Bench tax {tag}", "rate_basis_points": 825})
    stack.api("PATCH", "/settings/invoicing", {"default_tax_rate_id": rate["id"]})
    plist = stack.api("POST", "/price-lists", {"name": f"Bench prices {tag}"})
    group = stack.api("POST", f"/price-lists/{plist['id']}/groups", {"name": "Everything"})
    items = []
    for code, name, price, taxable in ITEMS:
        item = stack.api("POST", "/price-list-items", {"price_list_id": plist["id"], "group_id": group["id"],
                                                      "code": code, "name": name, "price": price,
                                                      "taxable": taxable})
        items.append((item["id"], name, price, taxable))
    promo = stack.api("POST", "/price-list-items", {
        "price_list_id": plist["id"], "code": "PROMO", "name": "Ten off", "item_type": "promotional",
        "promotion": {"coupon_code": f"BENCH{tag}", "percent_off": 10}})
    return Catalog(items, rate["id"], rate["rate_basis_points"],
                   {"id": promo["id"], "coupon_code": promo["promotion"]["coupon_code"], "percent_off": 10})


@dataset("invoices")
def load_invoices(ctx):
    clients = ctx.dataset("clients")
    stack = ctx.stack
    count = max(1_000, round(BASE_COUNT * ctx.scale))
    catalog = _catalog(stack)
    studio = stack.api("GET", "/settings/studio")
    today = dt.datetime.now(ZoneInfo(studio["time_zone"])).date()
    log(f"invoicing: bulk load of {count:,} invoices over {clients['count']:,} clients into {DATABASE}")
    conn = stack.pg.connect(DATABASE)
    try:
        totals, samples = bulk_load(conn, count, clients["count"], catalog, studio["currency"], today)
    finally:
        conn.close()
    return {"count": count, "clients": clients["count"], "catalog": catalog, "load": totals,
            "samples": samples}


def _post_invoices(label, stack, clients, item_ids, connections, seconds=None, warmup=None):
    """wrk with invoicing_post.lua (POST bodies), as httpload.wrk runs GETs."""
    if shutil.which("wrk") is None:
        raise HarnessError("wrk is not installed (apt-get install wrk)")
    seconds = duration() if seconds is None else seconds
    warmup = warmup_seconds() if warmup is None else warmup
    env = dict(os.environ, BENCH_TOKEN=stack.token or "")

    def run(secs, tag):
        argv = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{max(1, round(secs))}s",
                "--timeout", "5s", "-s", str(POST_SCRIPT), stack.gateways["gateway"], "--", str(clients),
                ",".join(str(i) for i in item_ids)]
        done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=secs + 60)
        (LOGS / f"wrk-{label}-{tag}.log").write_text(" ".join(argv) + "\n\n" + done.stdout + done.stderr)
        if done.returncode != 0:
            raise HarnessError(f"wrk {label} failed (exit {done.returncode}): {done.stderr[-500:]}")
        for line in done.stdout.splitlines():
            if line.startswith("BENCH_RESULT "):
                return json.loads(line[len("BENCH_RESULT "):])
        raise HarnessError(f"wrk {label}: no result line:\n{done.stdout[-1000:]}")

    if warmup > 0:
        run(warmup, "warmup")
    meter = CpuMeter(stack).start()
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = run(seconds, "measure")
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    result["cpu"] = meter.stop({"wrk": (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)})
    result["connections"] = connections
    log(f"{label}: {result['rps']:.0f} req/s, p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms, "
        f"p99 {result['p99_ms']:.1f} ms, {result['not_created']} not created")
    return result


def _timed(session, url, runs=3):
    """Wall seconds of each of ``runs`` GETs (after one untimed warm-up), and the last body."""
    session.get(url, timeout=120).raise_for_status()
    times, body = [], None
    for _ in range(runs):
        started = time.perf_counter()
        response = session.get(url, timeout=120)
        times.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise HarnessError(f"GET {url}: {response.status_code} {response.text[:300]}")
        body = response
    return times, body


def _check_samples(ctx, data):
    """Loaded invoices read back through the API add up as the service computes them."""
    session = ctx.stack.session()
    bad = []
    for invoice_id in data["samples"][:50]:
        invoice = ctx.stack.api("GET", f"/invoices/{invoice_id}", session=session)
        lines = [(ln["quantity"], ln["unit_price"], ln["taxable"]) for ln in invoice["lines"]]
        totals = money.compute(lines, invoice["tax_rate_basis_points"], invoice["discount"])
        computed = (totals.subtotal, totals.tax, totals.total)
        owed = (0 if invoice["status"] == "void" else invoice["total"]) - invoice["paid"]
        if computed != (invoice["subtotal"], invoice["tax"], invoice["total"]) or invoice["balance"] != owed:
            bad.append(invoice_id)
    return min(50, len(data["samples"])), bad


def _numbering(ctx, loaded):
    conn = ctx.stack.pg.connect(DATABASE)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*), count(DISTINCT invoice_number), min(invoice_number::bigint), "
                        "max(invoice_number::bigint) FROM invoices WHERE id > %s", (loaded,))
            made, distinct, low, high = cur.fetchone()
            cur.execute("SELECT next_invoice_number FROM invoice_settings WHERE id = 1")
            following = cur.fetchone()[0]
    finally:
        conn.close()
    gap_free = made == distinct and (made == 0 or (low == FIRST_NUMBER + loaded and high == following - 1
                                                   and high - low + 1 == made))
    return made, gap_free


@scenario("invoicing", services=("clients", "invoicing"))
def invoicing(ctx):
    """POST /invoices (5 lines), GET /clients/{id}/balance, the aging and balances reports."""
    stack = ctx.stack
    data = ctx.dataset("invoices")
    load = data["load"]
    ctx.info("invoices / lines / payments loaded (bulk)",
             f"{load['invoices']:,} / {load['invoice_lines']:,} / {load['payment_records']:,}")
    ctx.check("invoices bulk load time", load["seconds"]["total"], "s", "<=", 300)
    checked, bad = _check_samples(ctx, data)
    ctx.check(f"loaded invoices add up as the service computes ({checked} read back)",
              f"{checked - len(bad)}/{checked}", "", "==", f"{checked}/{checked}", passed=not bad)
    ctx.details["load"] = load

    # 1. creating a 5-line invoice through the gateway
    item_ids = [item[0] for item in data["catalog"].items]
    posts = {}
    for connections in (1, 4):
        posts[connections] = _post_invoices(f"post-invoice-c{connections}", stack, data["clients"], item_ids,
                                            connections)
    one = posts[1]
    ctx.check("POST /invoices (5 lines) c=1 p95", round(one["p95_ms"], 1), "ms", "<=", 40)
    ctx.info("POST /invoices c=1: req/s, p50/p99",
             f"{one['rps']:.0f}, {one['p50_ms']:.1f}/{one['p99_ms']:.1f} ms")
    four = posts[4]
    ctx.info("POST /invoices c=4: req/s, p50/p95/p99",
             f"{four['rps']:.0f}, {four['p50_ms']:.1f}/{four['p95_ms']:.1f}/{four['p99_ms']:.1f} ms")
    failed = sum(p["not_created"] + sum(p["errors"].values()) for p in posts.values())
    ctx.check("POST /invoices not created / errors", failed, "", "==", 0)
    made, gap_free = _numbering(ctx, data["count"])
    ctx.check(f"invoice numbers of the {made:,} created: unique, no gaps", gap_free, "", "==", True,
              passed=gap_free)
    ctx.details["post_invoice"] = posts

    # 2. a client's balance
    balance = {}
    for connections in (1, 8):
        balance[connections] = wrk(f"balance-c{connections}", stack.gateways["gateway"],
                                   ["ids", "/api/v1/clients/{id}/balance", data["clients"]],
                                   connections=connections, threads=min(2, connections), token=stack.token,
                                   stack=stack)
    one = balance[1]
    ctx.check("GET /clients/{id}/balance c=1 p95", round(one["p95_ms"], 1), "ms", "<=", 15)
    ctx.info("GET /clients/{id}/balance c=1: req/s, p50/p99",
             f"{one['rps']:.0f}, {one['p50_ms']:.1f}/{one['p99_ms']:.1f} ms")
    eight = balance[8]
    ctx.info("GET /clients/{id}/balance c=8: req/s, p50/p95/p99",
             f"{eight['rps']:.0f}, {eight['p50_ms']:.1f}/{eight['p95_ms']:.1f}/{eight['p99_ms']:.1f} ms")
    errors = sum(sum(b["errors"].values()) for b in balance.values())
    ctx.check("GET /clients/{id}/balance errors", errors, "", "==", 0)
    ctx.details["balance"] = balance

    # 3. reports over every client
    session = stack.session()
    base = stack.gateways["gateway"] + "/api/v1/reports"
    times, response = _timed(session, base + "/aging")
    report = response.json()
    ctx.check("GET /reports/aging, all clients (slowest of 3)", round(max(times), 2), "s", "<=", 3)
    ctx.info("aging report: clients owing / body size",
             f"{len(report['items']):,} / {len(response.content) / 1e6:.1f} MB")
    times_b, response_b = _timed(session, base + "/balances")
    ctx.info("GET /reports/balances, all clients (slowest of 3)", round(max(times_b), 2), "s")
    ctx.details["reports"] = {"aging_s": times, "aging_clients": len(report["items"]), "balances_s": times_b,
                              "balances_clients": len(response_b.json()["items"])}
    ctx.details["memory"] = stack.memory()
