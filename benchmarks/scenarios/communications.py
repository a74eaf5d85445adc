"""Communications: a campaign to 50,000 recipients (or every client with an address, below that
scale) into a local SMTP sink, and rendering the Photographer Job Sheet as PDF.

Targets (issue 7): ≥ 300 messages/s end to end (from POST /campaigns, which resolves the audience,
to the campaign completed) with the rate limit off; the communications service's memory ≤ 300 MB
throughout (VmRSS sampled every half second); exactly 50,000 distinct deliveries (Message-IDs the
sink received); GET /form-letters/{job sheet}/render.pdf for a session ≤ 300 ms (p95 of 30).
"""

import statistics
import time
import uuid

from ..communications_load import assign_group
from ..registry import scenario
from ..stack import DATA, DB_PREFIX, SERVICES, HarnessError, ServiceSpec, free_port, log

SERVICES.setdefault(
    "communications",
    ServiceSpec(
        "communications",
        "services/communications/alembic.ini",
        "services/communications/config.yml",
        "communications.service",
        "COMMUNICATIONS_DATABASE_URL",
    ),
)

RECIPIENTS = 50_000
RENDERS = 30
CLIENTS_DATABASE = DB_PREFIX + "clients"


def _percentile(values, pct):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))]


def _rss_mib(stack):
    return stack.memory().get("communications", {}).get("rss_kib", 0) / 1024


def _publish_session(amqp_uri, session):
    from kombu import Connection, Exchange, Producer

    with Connection(amqp_uri) as conn:
        exchange = Exchange("scheduling.events", type="topic", durable=True)
        Producer(conn).publish(
            {
                "id": str(uuid.uuid4()),
                "type": "scheduling.session_created",
                "source": "scheduling",
                "data": {"session": session},
            },
            exchange=exchange,
            routing_key="session_created",
            declare=[exchange],
            serializer="json",
        )


def _job_sheet(ctx, client_id):
    stack = ctx.stack
    session_id = 900_000_000 + int(time.time()) % 1_000_000
    _publish_session(
        stack.broker.uri,
        {
            "id": session_id,
            "client_id": client_id,
            "session_type_id": None,
            "status_id": None,
            "starts_at": "2026-07-04T15:30:00+00:00",
            "ends_at": "2026-07-04T16:30:00+00:00",
            "photographer_id": None,
            "assistant_id": None,
            "room": "Studio B",
            "notes": "Bring the ladder",
        },
    )
    sheet = next(x for x in stack.api("GET", "/form-letters")["items"] if x["builtin"] == "job_sheet")
    session = stack.session()
    url = f"{stack.gateways['gateway']}/api/v1/form-letters/{sheet['id']}/render.pdf"
    params = {"record_type": "session", "record_id": str(session_id)}
    deadline = time.monotonic() + 30
    while True:  # the event may still be on its way
        response = session.get(url, params=params, timeout=60)
        if response.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    if response.status_code != 200:
        raise HarnessError(f"job sheet: {response.status_code} {response.text[:300]}")
    timings = []
    for _ in range(RENDERS):
        started = time.perf_counter()
        response = session.get(url, params=params, timeout=60)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200 or not response.content.startswith(b"%PDF"):
            raise HarnessError(f"job sheet: {response.status_code}")
    return timings


@scenario("communications", services=("clients", "communications"))
def communications(ctx):
    from communications.smtp_sink import SinkProcess

    stack = ctx.stack
    clients = ctx.dataset("clients")
    wanted = min(RECIPIENTS, clients["count"])
    group = stack.api(
        "POST", "/client-groups", {"name": f"Bench campaign {uuid.uuid4().hex[:6]}"}, expect=(201,)
    )
    conn = stack.pg.connect(CLIENTS_DATABASE)
    try:
        placed = assign_group(conn, group["id"], wanted)
    finally:
        conn.close()
    log(f"communications: {placed:,} clients in the campaign's group")

    sink_dir = DATA / "smtp-sink"
    if sink_dir.exists():
        for old in sink_dir.iterdir():
            old.unlink()
    sink = SinkProcess(sink_dir, free_port(), save=False)
    try:
        stack.api(
            "PATCH",
            "/settings/email",
            {
                "smtp_host": "127.0.0.1",
                "smtp_port": sink.port,
                "smtp_tls": "none",
                "from_name": "Bench Studio",
                "from_address": "studio@bench.example",
                "send_rate_per_minute": 0,
            },
        )
        template = stack.api(
            "POST",
            "/email-templates",
            {
                "name": f"Bench {uuid.uuid4().hex[:6]}",
                "subject": "Autumn news for {{ client.first_name }}",
                "marketing": False,
                "html": "<html><head><style>p { color: #333; } h1 { font-size: 20px; }</style></head><body>"
                "<h1>Hello {{ client.first_name }} {{ client.last_name }}</h1>"
                "<p>Our autumn mini sessions are open at {{ studio.name or 'the studio' }}.</p>"
                "<p>Your client number is {{ client.client_number }}.</p></body></html>",
            },
            expect=(201,),
        )
        peak = _rss_mib(stack)
        started = time.monotonic()
        campaign = stack.api(
            "POST",
            "/campaigns",
            {"name": "Bench", "template_id": template["id"], "audience": {"group_ids": [group["id"]]}},
            expect=(201,),
        )
        resolved = time.monotonic() - started
        log(
            f"communications: campaign {campaign['id']} of {campaign['total']:,} resolved in {resolved:.1f} s"
        )
        progress = campaign
        while progress["status"] in ("preparing", "sending"):
            peak = max(peak, _rss_mib(stack))
            if time.monotonic() - started > 1800:
                raise HarnessError(f"the campaign did not finish in 30 minutes: {progress}")
            time.sleep(0.5)
            progress = stack.api("GET", f"/campaigns/{campaign['id']}")
        elapsed = time.monotonic() - started
        peak = max(peak, _rss_mib(stack))
        deliveries = sink.deliveries()
    finally:
        sink.stop()
    distinct = len({message_id for message_id, _rcpt in deliveries})
    rate = progress["sent"] / elapsed if elapsed else 0
    ctx.details["campaign"] = {
        "progress": progress,
        "resolve_seconds": round(resolved, 2),
        "seconds": round(elapsed, 2),
        "raw_deliveries": len(deliveries),
    }
    ctx.info("campaign recipients", progress["total"])
    ctx.info("audience resolved (POST /campaigns)", round(resolved, 1), "s")
    ctx.check("campaign end to end", round(rate, 1), "msg/s", ">=", 300)
    ctx.check("communications memory peak", round(peak, 1), "MiB", "<=", 300)
    ctx.info("clients in the campaign's group", placed)
    ctx.check("sent", progress["sent"], "", "==", placed)
    ctx.check("distinct deliveries", distinct, "", "==", placed)

    some_client = stack.api("GET", "/clients?limit=1")["items"][0]["id"]
    timings = _job_sheet(ctx, some_client)
    ctx.details["job_sheet_ms"] = [round(t, 1) for t in timings]
    ctx.info("job sheet PDF p50", round(statistics.median(timings), 1), "ms")
    ctx.check("job sheet PDF p95", round(_percentile(timings, 95), 1), "ms", "<=", 300)
