"""The scheduling wizard with stand-ins for invoicing and payments: every step, a failure at
each step undoing the earlier ones, the Idempotency-Key's replay and its refusals, and the
resumption of a run that died midway."""

import datetime as dt

import pytest

from proofsheet_shared.errors import Conflict, Unprocessable, ValidationError
from proofsheet_shared.types import utcnow
from scheduling import lookups, sessions
from scheduling.models import WizardRun
from scheduling.wizard import Wizard

from .conftest import NY


class Remote:
    def __init__(self, refuse_payment=None, refuse_invoice=None):
        self.invoices, self.payments, self.voided = {}, {}, []
        self.refuse_payment, self.refuse_invoice = refuse_payment, refuse_invoice
        self.payment_keys = []

    def create_invoice(self, payload):
        if self.refuse_invoice:
            raise self.refuse_invoice
        invoice = {"id": len(self.invoices) + 1, "status": "open", "balance": 4500, **payload}
        self.invoices[invoice["id"]] = invoice
        return invoice

    def void_invoice(self, invoice_id):
        self.voided.append(invoice_id)
        self.invoices[invoice_id]["status"] = "void"

    def get_invoice(self, invoice_id):
        return self.invoices[invoice_id]

    def find_session_invoice(self, session_id):
        live = [i for i in self.invoices.values() if i["session_id"] == session_id and i["status"] != "void"]
        return live[0] if live else None

    def create_payment(self, payload, idempotency_key):
        self.payment_keys.append(idempotency_key)
        if self.refuse_payment:
            raise self.refuse_payment
        for payment in self.payments.values():
            if payment["key"] == idempotency_key:
                return payment
        payment = {"id": len(self.payments) + 1, "key": idempotency_key, **payload}
        self.payments[payment["id"]] = payment
        return payment

    def get_payment(self, payment_id):
        return self.payments[payment_id]


@pytest.fixture
def portrait(session):
    lookups.update_type(session, 1, {"price_item_ids": [11, 12]}, lambda ids: None)
    return 1


def body(**extra):
    return {
        "client_id": 100,
        "session": {"session_type_id": 1, "starts_at": "2026-03-03T10:00:00", "photographer_id": 5},
        "invoice": {},
        "payment": {"method_id": 1},
        **extra,
    }


def wizard(db, links, remote):
    return Wizard(db, links, remote, 5, NY, stale_seconds=60)


def test_session_invoice_and_payment_in_one_request(db, links, portrait, session):
    remote = Remote()
    answer = wizard(db, links, remote).run(body())
    assert answer["ok"] and answer["status"] == 201
    assert answer["invoice"]["lines"] == [{"item_id": 11}, {"item_id": 12}]
    assert answer["invoice"]["session_id"] == answer["session"]["id"]
    assert answer["payment"]["amount"] == 4500 and answer["payment"]["invoice_id"] == answer["invoice"]["id"]


def test_a_refused_payment_voids_the_invoice_and_cancels_the_session(db, links, portrait, session):
    remote = Remote(refuse_payment=ValidationError("bad amount", {"amount": "must be positive"}))
    answer = wizard(db, links, remote).run(body(payment={"amount": -5}))
    assert not answer["ok"] and answer["status"] == 400
    error = answer["error"]
    assert error["step"] == "payment" and "payment.amount" in error["fields"]
    assert remote.voided == [1]
    assert sessions.get_session(session, error["undone"]["session_id"], NY)["cancelled"] is True
    assert "voided" in error["message"] and "cancelled" in error["message"]


def test_a_refused_invoice_cancels_the_session(db, links, portrait, session):
    remote = Remote(refuse_invoice=Unprocessable("no", {"lines.0.item_id": "not found"}))
    answer = wizard(db, links, remote).run(body())
    assert answer["error"]["step"] == "invoice" and "invoice.lines.0.item_id" in answer["error"]["fields"]
    assert sessions.get_session(session, answer["error"]["undone"]["session_id"], NY)["cancelled"]
    assert remote.payment_keys == []


def test_inputs_are_checked_before_anything_is_made(db, links, session):
    for payload, field in [
        (body(), "invoice.lines"),  # the type lists no items
        (body(invoice={"lines": [{"quantity": 1}]}), "invoice.lines.0.description"),
        (body(session={"session_type_id": 1}), "session.starts_at"),
        ({"session": {}}, "client_id"),
    ]:
        with pytest.raises(ValidationError) as err:
            wizard(db, links, Remote()).run(payload)
        assert field in err.value.fields, err.value.fields
    assert db.events == []


def test_the_same_key_replays_and_never_makes_twice(db, links, portrait, session):
    remote = Remote()
    first = wizard(db, links, remote).run(body(), "key-1")
    again = wizard(db, links, remote).run(body(), "key-1")
    assert again["replayed"] is True and again["session"]["id"] == first["session"]["id"]
    assert (len(remote.invoices), len(remote.payments)) == (1, 1)
    with pytest.raises(Conflict):
        wizard(db, links, remote).run(body(payment={"amount": 1}), "key-1")  # another request
    failing = Remote(refuse_payment=ValidationError("no", {}))
    failed = wizard(db, links, failing).run(
        body(session={"session_type_id": 1, "starts_at": "2026-03-04T10:00:00"}), "key-2"
    )
    replay = wizard(db, links, failing).run(
        body(session={"session_type_id": 1, "starts_at": "2026-03-04T10:00:00"}), "key-2"
    )
    assert replay["error"] == failed["error"] and len(failing.invoices) == 1


def test_a_run_that_died_midway_is_resumed_without_duplicates(db, links, portrait, session):
    remote = Remote()
    payload = body()
    booked = sessions.create_session(db, {"client_id": 100, **payload["session"]}, 5, links, NY)
    remote.create_invoice({"client_id": 100, "session_id": booked["id"], "lines": []})  # made, never recorded
    from scheduling.wizard import request_hash

    stale = utcnow() - dt.timedelta(minutes=5)
    session.add(
        WizardRun(
            idempotency_key="key-3",
            request_hash=request_hash(payload),
            status="running",
            session_id=booked["id"],
            created_at=stale,
            updated_at=stale,
        )
    )
    session.flush()
    answer = wizard(db, links, remote).run(payload, "key-3")
    assert answer["ok"] and answer["session"]["id"] == booked["id"]
    assert len(remote.invoices) == 1 and answer["invoice"]["id"] == 1
    assert remote.payment_keys == ["wizard:key-3"]
