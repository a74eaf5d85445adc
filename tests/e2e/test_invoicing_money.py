"""Money end to end: payment events (published by hand, as the payments service will) keep
paid and balances true, a duplicated event counts once; deposits and their limits; credit
memos and refunds; the balance, aging and services reports on known data."""

import datetime as dt
import time
import uuid
from zoneinfo import ZoneInfo

import pytest
from kombu import Connection, Exchange, Producer

from stack import Stack, assert_error

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """A stack of this module's own: invoices lock the studio's currency (and change the
    invoicing settings), which other suites on the shared stack expect to be free."""
    running = Stack(tmp_path_factory.mktemp("invoicing-money")).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def admin(stack):
    return stack.admin


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def publish_payment_event(stack, event_type, payment, event_id=None):
    """What the payments service's outbox will send: an envelope on ``payments.events``."""
    event_id = event_id or str(uuid.uuid4())
    with Connection(stack.amqp_uri) as conn:
        exchange = Exchange("payments.events", type="topic", durable=True)
        Producer(conn).publish(
            {
                "id": event_id,
                "type": f"payments.{event_type}",
                "source": "payments",
                "data": {"payment": payment},
            },
            exchange=exchange,
            routing_key=event_type,
            declare=[exchange],
            serializer="json",
        )
    return event_id


def eventually(fetch, check, timeout=10):
    deadline = time.monotonic() + timeout
    value = fetch()
    while not check(value) and time.monotonic() < deadline:
        time.sleep(0.2)
        value = fetch()
    assert check(value), value
    return value


def next_payment_id():
    return int(uuid.uuid4().int % 2_000_000_000)


def studio_today(admin):
    zone = ok(admin.get("/api/v1/settings/studio"))["time_zone"]
    return dt.datetime.now(ZoneInfo(zone)).date()


@pytest.fixture
def client(admin):
    return ok(admin.post("/api/v1/clients", json={"first_name": "Penny", "last_name": "Payer"}), 201)


def invoice_of(admin, client_id, amount, **fields):
    return ok(
        admin.post(
            "/api/v1/invoices",
            json=dict(
                {
                    "client_id": client_id,
                    "tax_rate_id": None,
                    "lines": [{"description": "Work", "unit_price": amount, "taxable": False}],
                },
                **fields,
            ),
        ),
        201,
    )


def test_balance_after_payment_events_with_a_duplicate(stack, admin, client):
    invoice = invoice_of(admin, client["id"], 20000)
    payment = {
        "id": next_payment_id(),
        "kind": "payment",
        "client_id": client["id"],
        "invoice_id": invoice["id"],
        "amount": 7500,
    }
    event_id = publish_payment_event(stack, "payment_recorded", payment)
    publish_payment_event(stack, "payment_recorded", payment, event_id=event_id)  # delivered twice
    second = dict(payment, id=next_payment_id(), amount=2500)
    publish_payment_event(stack, "payment_recorded", second)
    got = eventually(lambda: ok(admin.get(f"/api/v1/invoices/{invoice['id']}")), lambda i: i["paid"] == 10000)
    time.sleep(1)  # time for a wrongly counted duplicate to show
    got = ok(admin.get(f"/api/v1/invoices/{invoice['id']}"))
    assert (got["paid"], got["balance"], got["status"]) == (10000, 10000, "open")
    assert ok(admin.get(f"/api/v1/clients/{client['id']}/balance")) == {
        "client_id": client["id"],
        "currency": got["currency"],
        "invoiced": 20000,
        "paid": 10000,
        "credit": 0,
        "unapplied_deposits": 0,
        "balance": 10000,
    }
    # a change and a void from the payments service
    publish_payment_event(stack, "payment_updated", dict(payment, amount=17500))
    got = eventually(
        lambda: ok(admin.get(f"/api/v1/invoices/{invoice['id']}")), lambda i: i["status"] == "paid"
    )
    assert (got["paid"], got["balance"]) == (20000, 0)
    # paid: the lines can no longer change, and it cannot be voided
    error = assert_error(
        admin.patch(
            f"/api/v1/invoices/{invoice['id']}", json={"lines": [{"description": "Other", "unit_price": 1}]}
        ),
        422,
        "unprocessable",
        "lines",
    )
    assert "payments are applied" in error["message"]
    assert_error(admin.post(f"/api/v1/invoices/{invoice['id']}/void"), 422, "unprocessable", "status")
    publish_payment_event(stack, "payment_voided", {"id": second["id"]})
    got = eventually(lambda: ok(admin.get(f"/api/v1/invoices/{invoice['id']}")), lambda i: i["paid"] == 17500)
    assert (got["balance"], got["status"]) == (2500, "open")
    assert ok(admin.get(f"/api/v1/clients/{client['id']}/balance"))["balance"] == 2500


def test_deposits_are_noticed_and_applied_within_limits(stack, admin, client):
    deposit_id = next_payment_id()
    publish_payment_event(
        stack,
        "payment_recorded",
        {"id": deposit_id, "kind": "payment", "client_id": client["id"], "invoice_id": None, "amount": 15000},
    )
    eventually(
        lambda: ok(admin.get(f"/api/v1/clients/{client['id']}/balance")),
        lambda b: b["unapplied_deposits"] == 15000,
    )
    invoice = invoice_of(admin, client["id"], 10000)
    assert invoice["unapplied_deposits"] == [{"payment_id": deposit_id, "amount": 15000}]
    over_invoice = assert_error(
        admin.post(
            f"/api/v1/deposits/{deposit_id}/apply", json={"invoice_id": invoice["id"], "amount": 10001}
        ),
        422,
        "unprocessable",
        "amount",
    )
    assert "over-application" in over_invoice["fields"]["amount"]
    headers = {"Idempotency-Key": f"apply-{uuid.uuid4().hex}"}
    applied = ok(
        admin.post(
            f"/api/v1/deposits/{deposit_id}/apply",
            json={"invoice_id": invoice["id"], "amount": 10000},
            headers=headers,
        ),
        201,
    )
    replay = ok(
        admin.post(
            f"/api/v1/deposits/{deposit_id}/apply",
            json={"invoice_id": invoice["id"], "amount": 10000},
            headers=headers,
        ),
        201,
    )
    assert replay["id"] == applied["id"] and applied["deposit_remaining"] == 5000
    assert (applied["invoice"]["status"], applied["invoice"]["paid"]) == ("paid", 10000)
    second = invoice_of(admin, client["id"], 8000)
    over_deposit = assert_error(
        admin.post(f"/api/v1/deposits/{deposit_id}/apply", json={"invoice_id": second["id"], "amount": 5001}),
        422,
        "unprocessable",
        "amount",
    )
    assert "50.00 left on the deposit" in over_deposit["fields"]["amount"]
    assert_error(
        admin.post(f"/api/v1/deposits/{deposit_id}/apply", json={"invoice_id": second["id"], "amount": 50.0}),
        400,
        "validation_error",
        "amount",
    )
    assert_error(
        admin.post("/api/v1/deposits/999999999999/apply", json={"invoice_id": second["id"], "amount": 1}),
        404,
        "not_found",
        "payment_id",
    )
    ok(
        admin.post(f"/api/v1/deposits/{deposit_id}/apply", json={"invoice_id": second["id"], "amount": 5000}),
        201,
    )
    balance = ok(admin.get(f"/api/v1/clients/{client['id']}/balance"))
    assert (balance["invoiced"], balance["paid"], balance["unapplied_deposits"], balance["balance"]) == (
        18000,
        15000,
        0,
        3000,
    )
    assert ok(admin.get(f"/api/v1/invoices/{second['id']}"))["balance"] == 3000


def test_credit_memo_is_the_source_of_refunds(stack, admin, client):
    invoice = invoice_of(admin, client["id"], 10000)
    publish_payment_event(
        stack,
        "payment_recorded",
        {"id": next_payment_id(), "client_id": client["id"], "invoice_id": invoice["id"], "amount": 10000},
    )
    eventually(lambda: ok(admin.get(f"/api/v1/invoices/{invoice['id']}")), lambda i: i["status"] == "paid")
    memo = ok(
        admin.post(
            "/api/v1/credit-memos",
            json={
                "client_id": client["id"],
                "invoice_id": invoice["id"],
                "lines": [{"description": "Reprint refund", "unit_price": 3000}],
            },
        ),
        201,
    )
    assert (memo["total"], memo["refunded"], memo["remaining"]) == (3000, 0, 3000)
    assert ok(admin.get(f"/api/v1/invoices/{invoice['id']}"))["balance"] == -3000
    publish_payment_event(
        stack,
        "refund_recorded",
        {
            "id": next_payment_id(),
            "kind": "refund",
            "client_id": client["id"],
            "credit_memo_id": memo["id"],
            "amount": 2000,
        },
    )
    memo = eventually(
        lambda: ok(admin.get(f"/api/v1/credit-memos/{memo['id']}")), lambda m: m["refunded"] == 2000
    )
    assert memo["remaining"] == 1000
    assert ok(admin.get(f"/api/v1/invoices/{invoice['id']}"))["balance"] == -1000
    assert [
        m["id"] for m in ok(admin.get("/api/v1/credit-memos", params={"client_id": client["id"]}))["items"]
    ] == [memo["id"]]
    assert_error(
        admin.post(
            "/api/v1/credit-memos",
            json={
                "client_id": client["id"],
                "invoice_id": invoice["id"],
                "lines": [{"description": "Too much", "unit_price": 8000}],
            },
        ),
        422,
        "unprocessable",
        "lines",
    )


def test_reports_on_known_data(stack, admin):
    today = studio_today(admin)
    days = dt.timedelta
    owing, small, settled = (
        ok(admin.post("/api/v1/clients", json={"last_name": f"Report{n}"}), 201) for n in range(3)
    )
    # owing: 100.00 not yet due, 200.00 10 days late, 300.00 45 days late, 400.00 100 days late
    for amount, late in ((10000, -5), (20000, 10), (30000, 45), (40000, 100)):
        due = today - days(days=late)
        invoice_of(
            admin,
            owing["id"],
            amount,
            invoice_date=(min(due, today) - days(days=1)).isoformat(),
            due_date=due.isoformat(),
        )
    # small: 50.00, 70 days late, half paid by a deposit
    half = invoice_of(
        admin,
        small["id"],
        5000,
        invoice_date=(today - days(days=80)).isoformat(),
        due_date=(today - days(days=70)).isoformat(),
    )
    deposit = next_payment_id()
    publish_payment_event(
        stack, "payment_recorded", {"id": deposit, "client_id": small["id"], "amount": 2500}
    )
    eventually(
        lambda: ok(admin.get(f"/api/v1/clients/{small['id']}/balance")),
        lambda b: b["unapplied_deposits"] == 2500,
    )
    ok(admin.post(f"/api/v1/deposits/{deposit}/apply", json={"invoice_id": half["id"], "amount": 2500}), 201)
    # settled: paid in full
    paid = invoice_of(admin, settled["id"], 9000, invoice_date=(today - days(days=3)).isoformat())
    publish_payment_event(
        stack,
        "payment_recorded",
        {"id": next_payment_id(), "client_id": settled["id"], "invoice_id": paid["id"], "amount": 9000},
    )
    eventually(lambda: ok(admin.get(f"/api/v1/invoices/{paid['id']}")), lambda i: i["status"] == "paid")
    ours = {owing["id"], small["id"], settled["id"]}

    aging = ok(admin.get("/api/v1/reports/aging"))
    rows = {r["client_id"]: r for r in aging["items"] if r["client_id"] in ours}
    assert rows == {
        owing["id"]: {
            "client_id": owing["id"],
            "current": 10000,
            "days_1_30": 20000,
            "days_31_60": 30000,
            "days_61_90": 0,
            "days_90_plus": 40000,
            "total": 100000,
        },
        small["id"]: {
            "client_id": small["id"],
            "current": 0,
            "days_1_30": 0,
            "days_31_60": 0,
            "days_61_90": 2500,
            "days_90_plus": 0,
            "total": 2500,
        },
    }
    assert aging["as_of"] == today.isoformat() and aging["totals"]["total"] >= 102500
    totals = [r["total"] for r in aging["items"]]
    assert totals == sorted(totals, reverse=True)

    balances = ok(admin.get("/api/v1/reports/balances"))
    assert [(r["client_id"], r["balance"]) for r in balances["items"] if r["client_id"] in ours] == [
        (owing["id"], 100000),
        (small["id"], 2500),
    ]
    amounts = [r["balance"] for r in balances["items"]]
    assert amounts == sorted(amounts, reverse=True) and min(amounts) > 0

    frm, to = (today - days(days=200)).isoformat(), today.isoformat()
    services = ok(
        admin.get("/api/v1/reports/services", params={"from": frm, "to": to, "client_id": small["id"]})
    )
    assert services["items"] == [
        {
            "client_id": small["id"],
            "item_id": None,
            "name": "Work",
            "quantity": 1,
            "invoiced": 5000,
            "paid": 2500,
        }
    ]
    by_type = ok(
        admin.get(
            "/api/v1/reports/services",
            params={"from": frm, "to": to, "group_by": "session_type", "client_id": settled["id"]},
        )
    )
    assert [(r["invoiced"], r["paid"]) for r in by_type["items"]] == [(9000, 9000)]
    assert_error(admin.get("/api/v1/reports/services", params={"from": to}), 400, "validation_error", "to")
