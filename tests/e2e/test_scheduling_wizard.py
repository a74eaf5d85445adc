"""The scheduling wizard and the pre-payment rule end to end: session → invoice (from the
session type's price-list items) → payment in one request; a refused payment (or invoice)
undoes the earlier steps and names the failed step; an Idempotency-Key makes a retry return
the first answer and create nothing; the pre-payment rule both ways, with credit on account
from a deposit (a payment event, as the payments service publishes it)."""

import datetime as dt
import time
import uuid
from zoneinfo import ZoneInfo

import pytest
from kombu import Connection, Exchange, Producer

from stack import Stack, assert_error

pytestmark = pytest.mark.e2e

NY = "America/New_York"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """A stack of this module's own: invoices lock the studio's currency, and the tests change
    the scheduling settings."""
    running = Stack(tmp_path_factory.mktemp("scheduling-wizard")).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def admin(stack):
    return stack.admin


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def unique(prefix):
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def eventually(fetch, check, timeout=15):
    deadline = time.monotonic() + timeout
    value = fetch()
    while not check(value) and time.monotonic() < deadline:
        time.sleep(0.2)
        value = fetch()
    assert check(value), value
    return value


def day_ahead(days):
    return (dt.datetime.now(ZoneInfo("UTC")).date() + dt.timedelta(days=days)).isoformat()


@pytest.fixture(scope="module")
def catalog(admin):
    """A price list with two items and a session type that invoices them."""
    plist = ok(admin.post("/api/v1/price-lists", json={"name": unique("Sessions")}), 201)
    items = [
        ok(
            admin.post(
                "/api/v1/price-list-items",
                json={
                    "price_list_id": plist["id"],
                    "code": uuid.uuid4().hex[:8],
                    "name": name,
                    "price": price,
                    "taxable": False,
                },
            ),
            201,
        )
        for name, price in (("Sitting fee", 5000), ("8x10 print", 2500))
    ]
    session_type = ok(
        admin.post(
            "/api/v1/session-types",
            json={
                "name": unique("Family portrait"),
                "duration_minutes": 60,
                "price_item_ids": [i["id"] for i in items],
            },
        ),
        201,
    )
    return {"items": items, "type": session_type}


@pytest.fixture
def client(admin):
    return ok(admin.post("/api/v1/clients", json={"first_name": "Wanda", "last_name": unique("Wizard")}), 201)


def wizard_body(client, catalog, days, payment=None, invoice=None, **session):
    return {
        "client_id": client["id"],
        "session": {
            "session_type_id": catalog["type"]["id"],
            "starts_at": f"{day_ahead(days)}T10:00:00",
            **session,
        },
        "invoice": {} if invoice is None else invoice,
        "payment": payment,
    }


def sessions_of(admin, client):
    return ok(admin.get("/api/v1/sessions", params={"client_id": client["id"]}))["items"]


def invoices_of(admin, client):
    return ok(admin.get("/api/v1/invoices", params={"client_id": client["id"]}))["items"]


def test_a_refused_payment_undoes_the_invoice_and_the_session(stack, admin, catalog, client):
    response = admin.post(
        "/api/v1/wizards/schedule",
        json=wizard_body(client, catalog, 20, payment={"method_id": 1, "amount": -5}),
    )
    # refused by the payments service's validation (400), or, without a payments service, unavailable (503)
    assert response.status_code in (400, 422, 503), response.text
    error = response.json()["error"]
    assert error["step"] == "payment" and error["message"].startswith("the payment step failed")
    assert any(key.startswith("payment.") for key in error["fields"]), error
    undone = error["undone"]
    assert undone["invoice_voided"] is True
    invoice = ok(admin.get(f"/api/v1/invoices/{undone['invoice_id']}"))
    assert invoice["status"] == "void" and invoice["session_id"] == undone["session_id"]
    assert [line["item_id"] for line in invoice["lines"]] == [i["id"] for i in catalog["items"]]
    session = ok(admin.get(f"/api/v1/sessions/{undone['session_id']}"))
    assert session["cancelled"] is True
    assert [s["id"] for s in sessions_of(admin, client)] == [session["id"]]


def test_a_refused_invoice_cancels_the_session(stack, admin, catalog, client):
    response = admin.post(
        "/api/v1/wizards/schedule",
        json=wizard_body(client, catalog, 21, invoice={"lines": [{"item_id": 999_999_999}]}),
    )
    error = assert_error(response, 404, "not_found", "invoice.lines.0.item_id")
    assert error["step"] == "invoice" and error["undone"]["invoice_id"] is None
    assert ok(admin.get(f"/api/v1/sessions/{error['undone']['session_id']}"))["cancelled"] is True
    assert invoices_of(admin, client) == []


def test_the_session_step_refused_makes_nothing(stack, admin, catalog, client):
    response = admin.post(
        "/api/v1/wizards/schedule", json=wizard_body(client, catalog, 22, photographer_id=999_999)
    )
    error = assert_error(response, 404, "not_found", "session.photographer_id")
    assert error["step"] == "session" and sessions_of(admin, client) == []
    assert_error(
        admin.post("/api/v1/wizards/schedule", json={"client_id": client["id"], "session": {}}),
        400,
        "validation_error",
        "session.session_type_id",
    )


def test_an_idempotent_retry_never_creates_twice(stack, admin, catalog, client):
    key = f"wizard-{uuid.uuid4().hex}"
    body = wizard_body(client, catalog, 23)
    first = ok(admin.post("/api/v1/wizards/schedule", json=body, headers={"Idempotency-Key": key}), 201)
    assert first["invoice"]["session_id"] == first["session"]["id"] and first["invoice"]["total"] == 7500
    again = ok(admin.post("/api/v1/wizards/schedule", json=body, headers={"Idempotency-Key": key}), 201)
    assert again["replayed"] is True
    assert (again["session"]["id"], again["invoice"]["id"]) == (
        first["session"]["id"],
        first["invoice"]["id"],
    )
    assert len(sessions_of(admin, client)) == 1 and len(invoices_of(admin, client)) == 1
    other = dict(body, session=dict(body["session"], notes="another request"))
    assert_error(
        admin.post("/api/v1/wizards/schedule", json=other, headers={"Idempotency-Key": key}),
        409,
        "conflict",
        "Idempotency-Key",
    )

    failing_key = f"wizard-{uuid.uuid4().hex}"
    failing = wizard_body(client, catalog, 24, payment={"method_id": 1, "amount": -5})
    first_failure = admin.post(
        "/api/v1/wizards/schedule", json=failing, headers={"Idempotency-Key": failing_key}
    )
    replay = admin.post("/api/v1/wizards/schedule", json=failing, headers={"Idempotency-Key": failing_key})
    assert replay.status_code == first_failure.status_code
    assert replay.json()["error"]["undone"] == first_failure.json()["error"]["undone"]
    assert len(sessions_of(admin, client)) == 2 and len(invoices_of(admin, client)) == 2


def test_session_invoice_and_payment_in_one_request(stack, admin, catalog, client):
    methods = ok(admin.get("/api/v1/payment-methods"))["items"]
    cash = next(m for m in methods if m["type"] == "cash")
    key = f"wizard-{uuid.uuid4().hex}"
    body = wizard_body(client, catalog, 25, payment={"method_id": cash["id"]})
    made = ok(admin.post("/api/v1/wizards/schedule", json=body, headers={"Idempotency-Key": key}), 201)
    payment = made["payment"]
    assert (payment["invoice_id"], payment["amount"]) == (made["invoice"]["id"], 7500)
    again = ok(admin.post("/api/v1/wizards/schedule", json=body, headers={"Idempotency-Key": key}), 201)
    assert again["payment"]["id"] == payment["id"]
    eventually(
        lambda: ok(admin.get(f"/api/v1/invoices/{made['invoice']['id']}")), lambda i: i["status"] == "paid"
    )
    assert len(ok(admin.get(f"/api/v1/clients/{client['id']}/payments"))["items"]) == 1


def publish_deposit(stack, client_id, amount):
    """A deposit as the payments service's outbox announces it: a payment without an invoice."""
    payment_id = int(uuid.uuid4().int % 2_000_000_000)
    with Connection(stack.amqp_uri) as conn:
        exchange = Exchange("payments.events", type="topic", durable=True)
        Producer(conn).publish(
            {
                "id": str(uuid.uuid4()),
                "type": "payments.payment_recorded",
                "source": "payments",
                "data": {
                    "payment": {
                        "id": payment_id,
                        "kind": "payment",
                        "client_id": client_id,
                        "invoice_id": None,
                        "amount": amount,
                    }
                },
            },
            exchange=exchange,
            routing_key="payment_recorded",
            declare=[exchange],
            serializer="json",
        )
    return payment_id


def test_the_prepayment_rule_both_ways(stack, admin, catalog, client):
    ok(
        admin.patch(
            "/api/v1/settings/scheduling", json={"prepayment_required": True, "prepayment_threshold": 3000}
        )
    )
    try:
        body = {
            "client_id": client["id"],
            "session_type_id": catalog["type"]["id"],
            "starts_at": f"{day_ahead(30)}T10:00:00",
        }
        refused = assert_error(admin.post("/api/v1/sessions", json=body), 422, "unprocessable", "client_id")
        assert "3000 missing" in refused["message"]
        publish_deposit(stack, client["id"], 2000)
        eventually(
            lambda: ok(admin.get(f"/api/v1/clients/{client['id']}/balance")),
            lambda b: b["unapplied_deposits"] == 2000,
        )
        short = assert_error(admin.post("/api/v1/sessions", json=body), 422, "unprocessable", "client_id")
        assert "1000 missing" in short["message"]
        publish_deposit(stack, client["id"], 1500)
        eventually(
            lambda: ok(admin.get(f"/api/v1/clients/{client['id']}/balance")),
            lambda b: b["unapplied_deposits"] == 3500,
        )
        booked = ok(admin.post("/api/v1/sessions", json=body), 201)
        assert booked["client_id"] == client["id"]
    finally:
        ok(admin.patch("/api/v1/settings/scheduling", json={"prepayment_required": False}))


def test_the_payments_security_preference_applies_to_the_wizards_payment(stack, admin, catalog, client):
    from stack import ADMIN_PASSWORD

    methods = ok(admin.get("/api/v1/payment-methods"))["items"]
    cash = next(m for m in methods if m["type"] == "cash")
    ok(
        admin.patch(
            "/api/v1/settings/payments",
            json={"require_credentials": True},
            headers={"X-Confirm-Password": ADMIN_PASSWORD},
        )
    )
    try:
        body = wizard_body(client, catalog, 26, payment={"method_id": cash["id"]})
        assert_error(
            admin.post("/api/v1/wizards/schedule", json=body), 403, "forbidden", "X-Confirm-Password"
        )
        assert sessions_of(admin, client) == []
        made = ok(
            admin.post("/api/v1/wizards/schedule", json=body, headers={"X-Confirm-Password": ADMIN_PASSWORD}),
            201,
        )
        assert made["payment"]["amount"] == 7500
        # without a payment step the preference does not apply
        ok(admin.post("/api/v1/wizards/schedule", json=wizard_body(client, catalog, 27)), 201)
    finally:
        ok(
            admin.patch(
                "/api/v1/settings/payments",
                json={"require_credentials": False},
                headers={"X-Confirm-Password": ADMIN_PASSWORD},
            )
        )
