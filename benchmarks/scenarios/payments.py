"""Payments: the invoices data set's payments mirrored into the payments database; POST
/payments against an invoice with 16 concurrent clients, a batch of 1,000 payments, and every
invoice's balance re-computed from scratch beside the one invoicing stores.

Targets (issue 4): POST /payments (against an invoice, c=16) p95 ≤ 60 ms; POST /payments/batch
of 1,000 payments ≤ 5 s; the re-computed balances equal the stored ones (once invoicing has
taken in the payment events).
"""
import json
import os
import resource
import shutil
import statistics
import subprocess
import time
import uuid
from pathlib import Path

from ..httpload import duration, warmup_seconds
from ..payments_load import mirror_payments, recompute_balances
from ..registry import dataset, scenario
from ..stack import DATA, DB_PREFIX, LOGS, SERVICES, CpuMeter, HarnessError, ServiceSpec, log

SERVICES.setdefault("invoicing", ServiceSpec("invoicing", "services/invoicing/alembic.ini",
                                             "services/invoicing/config.yml", "invoicing.service",
                                             "INVOICING_DATABASE_URL"))
SERVICES.setdefault("payments", ServiceSpec("payments", "services/payments/alembic.ini",
                                            "services/payments/config.yml", "payments.service",
                                            "PAYMENTS_DATABASE_URL"))

INVOICING_DB, PAYMENTS_DB = DB_PREFIX + "invoicing", DB_PREFIX + "payments"
POST_SCRIPT = Path(__file__).resolve().parents[1] / "payments_post.lua"
AMOUNT = 100          # each benchmark payment: 1.00, so an open invoice takes many
BATCH_SIZE = 1_000
BATCH_RUNS = 3
CONNECTIONS = 16


@dataset("payments")
def load_payments(ctx):
    """The invoices data set, and its payments in the payments database too."""
    ctx.dataset("invoices")
    stack = ctx.stack
    currency = stack.api("GET", "/settings/studio")["currency"]
    invoicing, payments = stack.pg.connect(INVOICING_DB), stack.pg.connect(PAYMENTS_DB)
    try:
        log(f"payments: mirroring the invoices' payments into {PAYMENTS_DB}")
        load = mirror_payments(invoicing, payments, currency)
    finally:
        invoicing.close()
        payments.close()
    return {"load": load}


def _open_invoices(ctx, minimum):
    """Open invoices with at least ``minimum`` cents open, in random order."""
    conn = ctx.stack.pg.connect(INVOICING_DB)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT id FROM invoices WHERE status = 'open' AND balance >= %s ORDER BY random()",
                        (minimum,))
            return [row[0] for row in cur.fetchall()]
    finally:
        conn.close()


def _post_payments(label, stack, ids_file, connections, seconds=None, warmup=None):
    """wrk with payments_post.lua (POST bodies), as httpload.wrk runs GETs."""
    if shutil.which("wrk") is None:
        raise HarnessError("wrk is not installed (apt-get install wrk)")
    seconds = duration() if seconds is None else seconds
    warmup = warmup_seconds() if warmup is None else warmup
    env = dict(os.environ, BENCH_TOKEN=stack.token or "")

    def run(secs, tag):
        argv = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{max(1, round(secs))}s",
                "--timeout", "5s", "-s", str(POST_SCRIPT), stack.gateways["gateway"], "--", str(ids_file),
                str(AMOUNT)]
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
    shares = ", ".join(f"{name} {pct}" for name, pct in result["cpu"]["pct_of_one_core"].items() if pct)
    log(f"{label}: {result['rps']:.0f} req/s, p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms, "
        f"p99 {result['p99_ms']:.1f} ms, {result['not_created']} not created; CPU (% of a core): {shares}")
    return result


def _batches(ctx, invoice_ids):
    """BATCH_RUNS batches of BATCH_SIZE payments, each row another invoice: wall seconds each."""
    session = ctx.stack.session()
    url = ctx.stack.gateways["gateway"] + "/api/v1/payments/batch"
    times = []
    for run in range(BATCH_RUNS):
        chunk = invoice_ids[run * BATCH_SIZE:(run + 1) * BATCH_SIZE]
        if len(chunk) < BATCH_SIZE:
            raise HarnessError(f"only {len(invoice_ids):,} open invoices for {BATCH_RUNS} batches of "
                               f"{BATCH_SIZE}")
        body = {"payments": [{"invoice_id": i, "amount": AMOUNT, "method_id": 1} for i in chunk]}
        started = time.perf_counter()
        key = {"Idempotency-Key": f"bench-batch-{uuid.uuid4().hex}"}
        response = session.post(url, json=body, headers=key, timeout=120)
        times.append(time.perf_counter() - started)
        if response.status_code != 201 or response.json().get("count") != BATCH_SIZE:
            raise HarnessError(f"batch {run}: {response.status_code} {response.text[:500]}")
        log(f"batch of {BATCH_SIZE:,} payments: {times[-1]:.2f} s")
        # the next batch once invoicing has taken in this one's 1,000 events (its workers
        # answer the next batch's balance questions)
        *_, waited = _settled_balances(ctx)
        log(f"  invoicing took in the batch's events in {waited:.1f} s")
    return times


def _settled_balances(ctx, timeout=120):
    """Wait until invoicing has taken in every payment event (no balance differs any more, or
    the time is up); the last comparison and how long it took."""
    invoicing, payments = ctx.stack.pg.connect(INVOICING_DB), ctx.stack.pg.connect(PAYMENTS_DB)
    started = time.monotonic()
    try:
        while True:
            compared, differ, stored, recomputed = recompute_balances(invoicing, payments)
            if not differ or time.monotonic() - started > timeout:
                return compared, differ, stored, recomputed, time.monotonic() - started
            time.sleep(1)
    finally:
        invoicing.close()
        payments.close()


@scenario("payments", services=("clients", "invoicing", "payments"))
def payments(ctx):
    """POST /payments against an invoice (c=16), a batch of 1,000, balances recomputed from scratch."""
    stack = ctx.stack
    data = ctx.dataset("payments")
    load = data["load"]
    ctx.info("payments mirrored from the invoices data set", load["payments"])
    ctx.details["load"] = load
    compared, differ, stored, recomputed, _ = _settled_balances(ctx, timeout=0)
    ctx.check(f"invoice balances recomputed from scratch = stored, before ({compared:,} invoices)",
              f"{compared - len(differ):,}/{compared:,}", "", "==", f"{compared:,}/{compared:,}",
              passed=not differ)

    # 1. POST /payments against an invoice, 16 at once
    open_ids = _open_invoices(ctx, 50 * AMOUNT)
    if len(open_ids) < BATCH_RUNS * BATCH_SIZE + 1000:
        raise HarnessError(f"only {len(open_ids):,} open invoices with 50 payments' room "
                           "(BENCH_SCALE too small?)")
    batch_ids, post_ids = open_ids[:BATCH_RUNS * BATCH_SIZE], open_ids[BATCH_RUNS * BATCH_SIZE:]
    ids_file = DATA / "payments-invoice-ids.txt"
    ids_file.write_text("\n".join(str(i) for i in post_ids) + "\n")
    posts = {}
    for connections in (1, CONNECTIONS):
        posts[connections] = _post_payments(f"post-payment-c{connections}", stack, ids_file, connections)
    many = posts[CONNECTIONS]
    ctx.check(f"POST /payments c={CONNECTIONS} p95", round(many["p95_ms"], 1), "ms", "<=", 60)
    ctx.info(f"POST /payments c={CONNECTIONS}: req/s, p50/p99",
             f"{many['rps']:.0f}, {many['p50_ms']:.1f}/{many['p99_ms']:.1f} ms")
    one = posts[1]
    ctx.info("POST /payments c=1: req/s, p50/p95/p99",
             f"{one['rps']:.0f}, {one['p50_ms']:.1f}/{one['p95_ms']:.1f}/{one['p99_ms']:.1f} ms")
    failed = sum(p["not_created"] + sum(p["errors"].values()) for p in posts.values())
    ctx.check("POST /payments not created / errors", failed, "", "==", 0)
    ctx.details["post_payment"] = posts

    # 2. Add Payments: 1,000 at once, once invoicing has taken in the payments above
    *_, waited = _settled_balances(ctx)
    ctx.info("time for invoicing to take in the POST /payments events", round(waited, 1), "s")
    times = _batches(ctx, batch_ids)
    ctx.check(f"POST /payments/batch of {BATCH_SIZE:,} (slowest of {BATCH_RUNS})", round(max(times), 2), "s",
              "<=", 5)
    ctx.info(f"POST /payments/batch of {BATCH_SIZE:,}: median", round(statistics.median(times), 2), "s")
    ctx.details["batch_seconds"] = times

    # 3. every invoice's balance from scratch, once invoicing has heard of every payment
    compared, differ, stored, recomputed, waited = _settled_balances(ctx)
    ctx.check(f"invoice balances recomputed from scratch = stored, after ({compared:,} invoices)",
              f"{compared - len(differ):,}/{compared:,}", "", "==", f"{compared:,}/{compared:,}",
              passed=not differ)
    ctx.info("sum of balances: stored / recomputed", f"{stored:,} / {recomputed:,}")
    ctx.info("time for invoicing to take in the last events", round(waited, 1), "s")
    ctx.details["balances"] = {"compared": compared, "differ": [list(map(int, d)) for d in differ[:20]],
                               "stored_sum": int(stored), "recomputed_sum": int(recomputed)}
    ctx.details["memory"] = stack.memory()
