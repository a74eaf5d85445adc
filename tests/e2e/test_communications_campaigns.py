"""A campaign of 2,000 recipients end to end, into a real SMTP server: marketing opt-outs, blocked
addresses and clients without an address are skipped, a refused address bounces (and is
blocked), a temporary refusal is retried, and the communications service is killed (SIGKILL)
halfway and restarted: every expected recipient still gets the message exactly once (one
Message-ID each; see communications/sender.py for what "once" means across a crash)."""

import collections
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from communications.smtp_sink import SinkProcess
from stack import ROOT, Stack, free_port

pytestmark = pytest.mark.e2e

COUNT = 2000
SECRET = "test-communications-secret"


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def start_stack(tmp_path_factory, name, **env):
    stack = Stack(
        tmp_path_factory.mktemp(name),
        extra_env={
            "COMMUNICATIONS_SECRET_KEY": SECRET,
            "COMMUNICATIONS_CLAIM_TIMEOUT": "3",
            "COMMUNICATIONS_RETRY_BASE_SECONDS": "1",
            "COMMUNICATIONS_SEND_TICK_SECONDS": "0.3",
            "COMMUNICATIONS_SMTP_TIMEOUT": "5",
            "RPC_TIMEOUT": "20",
            **env,
        },
    )
    stack.extra_env["PROOFSHEET_PUBLIC_URL"] = stack.url
    return stack.start()


@pytest.fixture(scope="module")
def sink(tmp_path_factory):
    running = SinkProcess(tmp_path_factory.mktemp("smtp-campaign"), free_port(), save=False, cwd=ROOT)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    running = start_stack(
        tmp_path_factory,
        "communications-campaigns",
        COMMUNICATIONS_SEND_CONCURRENCY="4",
        COMMUNICATIONS_SEND_BATCH="20",
    )
    yield running
    running.stop()


def kind_of(index):
    if index % 10 == 3:
        return "opted_out"
    if index % 20 == 7:
        return "blocked"
    if index % 50 == 11:
        return "no_email"
    if index % 100 == 9:
        return "bounce"
    if index % 100 == 19:
        return "tempfail"
    return "plain"


def address_of(tag, index, kind):
    if kind == "no_email":
        return None
    prefix = {"bounce": "bounce.", "tempfail": "tempfail."}.get(kind, "")
    return f"{prefix}c{index}.{tag}@example.com"


def test_a_2000_recipient_campaign_killed_halfway_sends_each_expected_message_once(stack, sink):
    admin = stack.admin
    ok(
        admin.patch(
            "/api/v1/settings/email",
            json={
                "smtp_host": "127.0.0.1",
                "smtp_port": sink.port,
                "smtp_tls": "none",
                "from_name": "Bright Studio",
                "from_address": "studio@bright.example",
                "send_rate_per_minute": 0,
            },
        )
    )
    tag = uuid.uuid4().hex[:8]
    group = ok(admin.post("/api/v1/client-groups", json={"name": f"Everyone {tag}"}), 201)
    kinds = {i: kind_of(i) for i in range(COUNT)}

    def create(index):
        address = address_of(tag, index, kinds[index])
        last_name = f"Bulk{index}x{tag}"
        body = {
            "first_name": f"Client{index}",
            "last_name": last_name,
            "emails": [address] if address else [],
            "group_ids": [group["id"]],
            "allow_marketing": kinds[index] != "opted_out",
        }
        for _attempt in range(5):
            response = admin.post("/api/v1/clients", json=body, timeout=30)
            if response.status_code != 503:
                break
            # the machine is busy: the client may have been made all the same (never make it twice)
            time.sleep(1)
            if ok(admin.get("/api/v1/clients", params={"q": last_name}))["items"]:
                break
        else:
            raise AssertionError(response.text)
        assert response.status_code in (201, 503), response.text
        if kinds[index] == "blocked":
            ok(admin.post("/api/v1/blocked-addresses", json={"email": address}), 201)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(create, range(COUNT)))
    template = ok(
        admin.post(
            "/api/v1/email-templates",
            json={
                "name": f"Sale {tag}",
                "subject": "A sale for you, {{ client.first_name }}",
                "marketing": True,
                "html": "<html><head><style>p { color: #333; }</style></head><body>"
                "<p>Hello {{ client.first_name }}, our autumn sale starts now.</p></body></html>",
            },
        ),
        201,
    )

    started = time.monotonic()
    campaign = ok(
        admin.post(
            "/api/v1/campaigns",
            json={
                "name": f"Autumn {tag}",
                "template_id": template["id"],
                "audience": {"group_ids": [group["id"]]},
            },
        ),
        201,
    )
    expected = {address_of(tag, i, k) for i, k in kinds.items() if k in ("plain", "tempfail")}
    assert campaign["status"] in ("preparing", "sending") and campaign["total"] <= COUNT  # the rest follows

    # kill the service (SIGKILL: no clean shutdown) once a third has gone out, then start it again
    progress = campaign
    while progress["sent"] < len(expected) // 3:
        assert time.monotonic() - started < 60, progress
        time.sleep(0.05)
        progress = ok(admin.get(f"/api/v1/campaigns/{campaign['id']}"))
    stack.stop_process("communications", signal.SIGKILL)
    sent_at_kill = len(sink.deliveries())
    assert sent_at_kill < len(expected), "the campaign finished before the kill: nothing was tested"
    stack.start_service("communications")
    stack.wait_ready()

    deadline = time.monotonic() + 60
    while True:
        progress = ok(admin.get(f"/api/v1/campaigns/{campaign['id']}"))
        if progress["status"] == "completed" or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert progress["status"] == "completed", progress
    assert progress["total"] == COUNT
    assert progress["skipped"] == sum(1 for k in kinds.values() if k in ("opted_out", "blocked", "no_email"))
    assert (progress["sent"], progress["failed"], progress["queued"]) == (
        len(expected),
        sum(1 for k in kinds.values() if k == "bounce"),
        0,
    )

    deliveries = sink.deliveries()
    by_address = collections.defaultdict(set)
    for message_id, rcpt in deliveries:
        by_address[rcpt].add(message_id)
    assert set(by_address) == expected
    assert all(len(ids) == 1 for ids in by_address.values()), [
        a for a, ids in by_address.items() if len(ids) > 1
    ]
    # a message on the wire at the moment of the kill may be sent again, with the same Message-ID
    resent = len(deliveries) - len(expected)
    assert 0 <= resent <= 4 * 20, resent
    print(
        f"\n2,000-recipient campaign: {len(expected)} delivered once each, {resent} resent with the same "
        f"Message-ID after the kill at {sent_at_kill}, {time.monotonic() - started:.1f} s"
    )

    blocked = set()
    cursor = None
    while True:
        page = ok(
            admin.get(
                "/api/v1/blocked-addresses", params={"limit": 500, **({"cursor": cursor} if cursor else {})}
            )
        )
        blocked |= {b["email"] for b in page["items"] if b["reason"] == "bounced"}
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert {address_of(tag, i, k) for i, k in kinds.items() if k == "bounce"} <= blocked
