"""Batches (all or nothing, every bad row named) and idempotency keys (replay, conflict)."""

import pytest
from sqlalchemy import func, select

from payments import records
from payments.models import IdempotencyKey, Payment
from proofsheet_shared.errors import Conflict, NotFound, Unprocessable, ValidationError

from ..conftest import CASH, CHECK


def count(session):
    return session.scalar(select(func.count()).select_from(Payment))


def test_batch_records_every_row_for_many_clients(db, actor, upstream, session):
    rows = [
        {"invoice_id": 10, "amount": 2000, "method_id": CASH},
        {"invoice_id": 11, "amount": 5000, "method_id": CHECK, "check_number": "12"},
        {"client_id": 2, "amount": 700, "method_id": CASH},
        {"kind": "refund", "credit_memo_id": 20, "amount": 300, "method_id": CASH},
    ]
    result = records.create_batch(db, {"payments": rows}, actor, upstream)
    assert result["count"] == 4 and result["total"] == 8000
    assert [i["payment_number"] for i in result["items"]] == ["1", "2", "3", "4"]
    assert [i["client_id"] for i in result["items"]] == [1, 2, 2, 1]
    assert sorted(e for e, _ in db.events) == ["payment_recorded"] * 3 + ["refund_recorded"]
    assert count(session) == 4
    # the invoices were asked about once each, the deposit's client in one bulk question
    assert sorted(c for c in upstream.calls if c[0] == "invoice_balance") == [
        ("invoice_balance", 10),
        ("invoice_balance", 11),
    ]
    assert ("clients", (2,)) in upstream.calls


def test_batch_is_all_or_nothing_with_every_row_named(db, actor, upstream, session):
    rows = [
        {"invoice_id": 10, "amount": 2000, "method_id": CASH},
        {"invoice_id": 10, "amount": 0, "method_id": CASH},
        {"invoice_id": 10, "amount": 100, "method_id": CHECK},
        {"invoice_id": 404, "amount": 100, "method_id": CASH},
    ]
    with pytest.raises(ValidationError) as err:
        records.create_batch(db, {"payments": rows}, actor, upstream)
    fields = err.value.fields
    assert set(fields) == {"payments.1.amount", "payments.2.check_number", "payments.3.invoice_id"}
    assert "3 of 4 payments" in err.value.message
    assert count(session) == 0 and db.events == []


def test_batch_rows_after_the_schema_are_named_too(db, actor, upstream, session):
    rows = [
        {"invoice_id": 10, "amount": 2000, "method_id": CASH},
        {"invoice_id": 10, "amount": 100, "method_id": CHECK},
        {"invoice_id": 404, "amount": 100, "method_id": CASH},
    ]
    with pytest.raises(ValidationError) as err:
        records.create_batch(db, {"payments": rows}, actor, upstream)
    assert set(err.value.fields) == {"payments.1.check_number", "payments.2.invoice_id"}
    assert "2 of 3 payments" in err.value.message
    rows = [rows[0], rows[2]]
    with pytest.raises(NotFound) as err:
        records.create_batch(db, {"payments": rows}, actor, upstream)
    assert set(err.value.fields) == {"payments.1.invoice_id"}
    assert count(session) == 0


def test_batch_rows_to_one_invoice_add_up_against_its_balance(db, actor, upstream, session):
    rows = [
        {"invoice_id": 10, "amount": 6000, "method_id": CASH},
        {"invoice_id": 10, "amount": 4000, "method_id": CASH},
        {"invoice_id": 10, "amount": 1, "method_id": CASH},
    ]
    with pytest.raises(Unprocessable) as err:
        records.create_batch(db, {"payments": rows}, actor, upstream)
    assert set(err.value.fields) == {"payments.2.amount"}
    assert count(session) == 0
    assert records.create_batch(db, {"payments": rows[:2]}, actor, upstream)["total"] == 10000


def test_batch_limits(db, actor, upstream):
    with pytest.raises(ValidationError) as err:
        records.create_batch(db, {"payments": []}, actor, upstream)
    assert "payments" in err.value.fields
    with pytest.raises(ValidationError):
        records.create_batch(
            db, {"payments": [{"client_id": 1, "amount": 1, "method_id": CASH}] * 1001}, actor, upstream
        )


def test_same_key_replays_the_first_response_and_records_once(db, actor, upstream, session):
    payload = {"invoice_id": 10, "amount": 2500, "method_id": CASH}
    first = records.create_payment(db, payload, actor, upstream, "key-1")
    upstream.deposits[1] = [{"payment_id": 5, "amount": 1}]  # a replay does not ask again
    again = records.create_payment(db, dict(payload), actor, upstream, "key-1")
    assert again == first and count(session) == 1 and len(db.events) == 1
    stored = session.get(IdempotencyKey, ("payment", "key-1"))
    assert stored.response["id"] == first["id"] and len(stored.request_hash) == 64


def test_same_key_with_another_body_or_user_is_a_conflict(db, actor, upstream, session):
    records.create_payment(db, {"invoice_id": 10, "amount": 2500, "method_id": CASH}, actor, upstream, "k")
    with pytest.raises(Conflict) as err:
        records.create_payment(
            db, {"invoice_id": 10, "amount": 2600, "method_id": CASH}, actor, upstream, "k"
        )
    assert err.value.fields == {"Idempotency-Key": "already used for another request"}
    other = records.Actor(8, "r", actor.today, actor.currency)
    with pytest.raises(Conflict):
        records.create_payment(
            db, {"invoice_id": 10, "amount": 2500, "method_id": CASH}, other, upstream, "k"
        )
    assert count(session) == 1


def test_a_refused_request_keeps_no_key(db, actor, upstream, session):
    with pytest.raises(Unprocessable):
        records.create_payment(
            db, {"invoice_id": 10, "amount": 20000, "method_id": CASH}, actor, upstream, "k2"
        )
    session.rollback()  # what the worker does with a refused request
    made = records.create_payment(
        db,
        {"invoice_id": 10, "amount": 20000, "method_id": CASH, "allow_overpayment": True},
        actor,
        upstream,
        "k2",
    )
    assert made["deposit"]["amount"] == 10000


def test_batch_keys_replay_and_conflict_on_their_own_scope(db, actor, upstream, session):
    body = {"payments": [{"client_id": 1, "amount": 100, "method_id": CASH}]}
    first = records.create_batch(db, body, actor, upstream, "b1")
    assert records.create_batch(db, body, actor, upstream, "b1") == first
    with pytest.raises(Conflict):
        records.create_batch(
            db, {"payments": [{"client_id": 1, "amount": 101, "method_id": CASH}]}, actor, upstream, "b1"
        )
    # the same string as a single payment's key is another key
    records.create_payment(db, {"client_id": 1, "amount": 100, "method_id": CASH}, actor, upstream, "b1")
    assert count(session) == 2


def test_key_length(db, actor, upstream):
    with pytest.raises(ValidationError):
        records.create_payment(
            db, {"client_id": 1, "amount": 100, "method_id": CASH}, actor, upstream, "x" * 256
        )


def test_old_keys_are_forgotten(db, actor, upstream, session):
    import datetime as dt

    from payments import idempotency

    body = {"client_id": 1, "amount": 100, "method_id": CASH}
    records.create_payment(db, body, actor, upstream, "old")
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=31)
    assert idempotency.purge(session, 30, now=later) == 1
    assert idempotency.purge(session, 30) == 0
    records.create_payment(db, body, actor, upstream, "old")  # a new request now
    assert count(session) == 2
