"""A payment is recorded once even when the payments service dies between a request and its
answer: the service is killed (SIGKILL) while it is working on a keyed POST /payments, started
again, and the client retries with the same Idempotency-Key — exactly one payment exists.

To stop it "between the request and the answer" for certain, the test holds a lock on the
service's ``idempotency_keys`` table in its PostgreSQL database: the request is received
(the RPC is taken off the queue, unacknowledged) and waits on that lock, inside its
transaction, when the process is killed. The broker then puts the unacknowledged request back
on the queue; the restarted service takes it up again, and the client's retry races with it.
"""

import signal
import threading
import time
import uuid

import pytest
import requests
import sqlalchemy as sa

from stack import Stack

pytestmark = pytest.mark.e2e

CASH = 1


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """A stack of its own (its payments service gets killed), with an RPC timeout long enough
    for the request to outlive the restart."""
    running = Stack(tmp_path_factory.mktemp("payments-faults"), extra_env={"RPC_TIMEOUT": "30"}).start()
    yield running
    running.stop()


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def waiting_on_a_lock(engine, database, timeout=20):
    """True once a session of the payments service waits on a lock in its database."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            waiting = conn.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = :db AND wait_event_type = 'Lock'"
                ),
                {"db": database},
            )
        if waiting:
            return True
        time.sleep(0.05)
    return False


def test_killed_between_request_and_answer_then_retried_records_once(stack):
    admin = stack.admin
    client = ok(admin.post("/api/v1/clients", json={"first_name": "Fay", "last_name": "Fault"}), 201)
    invoice = ok(
        admin.post(
            "/api/v1/invoices",
            json={
                "client_id": client["id"],
                "tax_rate_id": None,
                "lines": [{"description": "Session", "unit_price": 20000, "taxable": False}],
            },
        ),
        201,
    )
    body = {"invoice_id": invoice["id"], "amount": 7500, "method_id": CASH}
    key = {"Idempotency-Key": f"fault-{uuid.uuid4().hex}"}
    ok(admin.get("/api/v1/settings/payments"))  # the gateway knows the preference is off

    url = stack._db_url("payments")
    database = url.rsplit("/", 1)[1]
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    blocker = engine.connect()
    transaction = blocker.begin()
    blocker.execute(sa.text("LOCK TABLE idempotency_keys IN ACCESS EXCLUSIVE MODE"))
    first = {}

    def original_request():
        try:
            first["response"] = requests.post(
                f"{stack.url}/api/v1/payments",
                json=body,
                headers={**key, "Authorization": f"Bearer {admin.token}"},
                timeout=60,
            )
        except requests.RequestException as exc:  # pragma: no cover - reported below
            first["error"] = exc

    caller = threading.Thread(target=original_request)
    caller.start()
    try:
        assert waiting_on_a_lock(engine, database), "the payments service never reached the database"
        stack.stop_process("payments", signal.SIGKILL)  # dies holding the request, unanswered
    finally:
        transaction.rollback()
        blocker.close()
    assert caller.is_alive(), "the request was answered although its service died"

    stack.start_service("payments")
    # the client retries at once, racing the request the broker hands the new process
    retried = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        response = admin.post("/api/v1/payments", json=body, headers=key, timeout=60)
        if response.status_code == 201:
            retried = response.json()
            break
        assert response.status_code == 503, response.text  # not started yet
        time.sleep(0.5)
    assert retried is not None, stack.logs()
    caller.join(timeout=60)
    original = first.get("response")
    assert original is not None, first
    # the original request was redelivered to the new process (answered with the same payment),
    # or it expired unanswered (503): either way it did not record a second payment
    assert original.status_code in (201, 503), original.text
    if original.status_code == 201:
        assert original.json() == retried
    again = ok(admin.post("/api/v1/payments", json=body, headers=key), 201)
    assert again == retried

    history = ok(admin.get(f"/api/v1/clients/{client['id']}/payments"))["items"]
    assert [p["id"] for p in history] == [retried["id"]]
    with engine.connect() as conn:
        assert (
            conn.scalar(sa.text("SELECT count(*) FROM payments WHERE client_id = :c"), {"c": client["id"]})
            == 1
        )
        notes = conn.scalar(
            sa.text("SELECT count(*) FROM payment_notes WHERE payment_id = :p"), {"p": retried["id"]}
        )
        assert notes == 1
    engine.dispose()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        got = ok(admin.get(f"/api/v1/invoices/{invoice['id']}"))
        if got["paid"] == 7500:
            break
        time.sleep(0.2)
    assert (got["paid"], got["balance"]) == (7500, 12500)
