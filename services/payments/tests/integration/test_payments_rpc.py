"""Over RabbitMQ and PostgreSQL: errors cross RPC as their own types, events go out after the
commit, concurrent payments to one invoice never overpay it, one idempotency key records once
however many requests race with it, big batches, the security preference."""

import pytest
import sqlalchemy as sa

from proofsheet_shared.errors import Conflict, Forbidden, NotFound, Unprocessable, ValidationError

CASH, CHECK = 1, 2


def count_payments(url):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.scalar(sa.text("SELECT count(*) FROM payments"))
    finally:
        engine.dispose()


def test_payment_round_trip_errors_and_events(payments_container, rpc, event_tap):
    tap = event_tap()
    made = rpc.payments.create_payment(
        {"invoice_id": 10, "amount": 2500, "method_id": CASH, "amount_tendered": 3000}
    )
    assert made["change_due"] == 500 and made["unapplied_deposits"] == [{"payment_id": 999, "amount": 100}]
    event = tap.get()
    assert event["type"] == "payments.payment_recorded" and event["data"]["payment"]["id"] == made["id"]
    assert event["user_id"] == 1
    with pytest.raises(NotFound) as err:
        rpc.payments.create_payment({"invoice_id": 404, "amount": 1, "method_id": CASH})
    assert err.value.fields == {"invoice_id": "not found"}
    with pytest.raises(ValidationError) as err:
        rpc.payments.create_payment({"invoice_id": 10, "amount": 1, "method_id": CHECK})
    assert err.value.fields == {"check_number": "a check payment needs its check number"}
    assert rpc.payments.get_payment(made["id"])["amount"] == 2500
    notes = rpc.payments.list_notes(made["id"])["items"]
    assert [n["action"] for n in notes] == ["created"]
    voided = rpc.payments.void_payment(made["id"])
    assert voided["status"] == "void"
    assert tap.get()["type"] == "payments.payment_voided"
    assert rpc.payments.client_references(1) == {"payments": 1}
    assert rpc.payments.list_client_payments(1)["items"][0]["id"] == made["id"]


def test_concurrent_payments_to_one_invoice_never_overpay_it(payments_container, rpc, pg_url):
    """Invoicing (a stand-in) never hears of them: only the balance locks stop the 11th."""
    replies = [
        rpc.payments.create_payment.call_async({"invoice_id": 10, "amount": 1000, "method_id": CASH})
        for _ in range(20)
    ]
    won, refused = [], []
    for reply in replies:
        try:
            won.append(reply.result()["id"])
        except Unprocessable as exc:
            refused.append(exc.fields["amount"])
    assert len(won) == 10 and len(refused) == 10
    assert rpc.payments.amount_for({"invoice_id": 10, "full_balance": "true"})["amount"] == 0
    numbers = sorted(int(p["payment_number"]) for p in rpc.payments.list_payments({"limit": "50"})["items"])
    assert numbers == list(range(1, 11))  # gap-free: refused payments gave their numbers back


def test_one_key_records_once_however_many_requests_race(payments_container, rpc, pg_url):
    body = {"client_id": 1, "amount": 700, "method_id": CASH}
    replies = [rpc.payments.create_payment.call_async(dict(body), "race-key") for _ in range(10)]
    results = [reply.result() for reply in replies]
    assert len({r["id"] for r in results}) == 1
    assert count_payments(pg_url) == 1
    with pytest.raises(Conflict):
        rpc.payments.create_payment(dict(body, amount=701), "race-key")


def test_batch_of_many_rows_and_its_events(payments_container, rpc, event_tap, pg_url):
    tap = event_tap(routing_key="payment_recorded")
    rows = [{"client_id": 1 + i % 2, "amount": 100 + i, "method_id": CASH} for i in range(300)]
    result = rpc.payments.create_payments({"payments": rows}, "batch-1")
    assert result["count"] == 300 and result["total"] == sum(r["amount"] for r in rows)
    assert rpc.payments.create_payments({"payments": rows}, "batch-1") == result
    events = tap.drain(timeout=3)
    assert len(events) == 300 and len({e["data"]["payment"]["id"] for e in events}) == 300
    bad = rows[:2] + [{"client_id": 404, "amount": 1, "method_id": CASH}]
    with pytest.raises(NotFound) as err:
        rpc.payments.create_payments({"payments": bad})
    assert err.value.fields == {"payments.2.client_id": "not found"}
    assert count_payments(pg_url) == 300


def test_security_preference(payments_container, rpc, rpc_as):
    staff = rpc_as(user_id=2, permissions=["payments.read", "payments.write"])
    manager = rpc_as(user_id=3, permissions=["payments.read", "payments.write", "payments.modify"])
    confirmed = rpc_as(
        user_id=3, permissions=["payments.read", "payments.write", "payments.modify"], confirmed=True
    )
    body = {"client_id": 1, "amount": 100, "method_id": CASH}
    made = staff.payments.create_payment(body)
    assert rpc.payments.update_settings({"require_credentials": True})["require_credentials"] is True
    assert staff.payments.security_settings() == {"require_credentials": True}
    with pytest.raises(Forbidden) as err:
        staff.payments.create_payment(body)
    assert err.value.fields == {"permission": "payments.modify"}
    with pytest.raises(Forbidden) as err:
        manager.payments.void_payment(made["id"])
    assert err.value.fields == {"X-Confirm-Password": "required"}
    assert confirmed.payments.void_payment(made["id"])["status"] == "void"
    with pytest.raises(Forbidden):  # turning it off needs the password too
        rpc.payments.update_settings({"require_credentials": False})
    off = rpc_as(confirmed=True).payments.update_settings({"require_credentials": False})
    assert off["require_credentials"] is False
    assert staff.payments.create_payment(body)["amount"] == 100
