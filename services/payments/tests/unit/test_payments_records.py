"""Recording payments and refunds: each method type's fields and refusals, deposits, the
open-balance check and overpayment as a deposit, refunds from credit memos, future payments,
changes, voids, notes and events."""

import datetime as dt

import pytest
from sqlalchemy import select, text

from payments import records
from payments.models import Payment, PaymentNote
from proofsheet_shared.errors import NotFound, Unprocessable, ValidationError

from ..conftest import CARD, CASH, CHECK, OTHER


def pay(db, actor, upstream, key=None, **fields):
    payload = {"method_id": CASH, **fields}
    return records.create_payment(db, payload, actor, upstream, key)


def test_cash_payment_against_an_invoice_computes_change_and_announces_itself(db, actor, upstream, today):
    upstream.deposits[1] = [{"payment_id": 99, "amount": 500}]
    made = pay(db, actor, upstream, invoice_id=10, amount=2500, amount_tendered=3000)
    assert made["client_id"] == 1 and made["invoice_id"] == 10
    assert (made["amount"], made["amount_tendered"], made["change_due"]) == (2500, 3000, 500)
    assert made["payment_date"] == today.isoformat() and made["status"] == "recorded"
    assert made["payment_number"] == "1" and made["method_type"] == "cash" and made["method_name"] == "Cash"
    assert made["processor"] == "manual" and made["version"] == 1
    assert made["unapplied_deposits"] == [{"payment_id": 99, "amount": 500}]
    assert made["deposit"] is None
    ((event_type, data),) = db.events
    assert event_type == "payment_recorded"
    assert data["payment"]["id"] == made["id"] and data["payment"]["amount"] == 2500
    assert {
        "id",
        "kind",
        "client_id",
        "invoice_id",
        "credit_memo_id",
        "amount",
        "status",
        "future",
        "payment_date",
        "version",
    } <= set(data["payment"])


def test_cash_tendered_defaults_to_the_amount_and_below_it_is_refused(db, actor, upstream):
    assert pay(db, actor, upstream, invoice_id=10, amount=1000)["change_due"] == 0
    with pytest.raises(ValidationError) as err:
        pay(db, actor, upstream, invoice_id=10, amount=1000, amount_tendered=900)
    assert "amount_tendered" in err.value.fields


def test_check_needs_its_number(db, actor, upstream):
    with pytest.raises(ValidationError) as err:
        pay(db, actor, upstream, invoice_id=10, amount=1000, method_id=CHECK)
    assert err.value.fields == {"check_number": "a check payment needs its check number"}
    made = pay(db, actor, upstream, invoice_id=10, amount=1000, method_id=CHECK, check_number="1042")
    assert made["check_number"] == "1042" and made["amount_tendered"] is None


def test_card_fields_and_last4_never_longer_than_four_digits(db, actor, upstream, session):
    with pytest.raises(ValidationError) as err:
        pay(db, actor, upstream, invoice_id=10, amount=1000, method_id=CARD)
    assert set(err.value.fields) == {"card_type", "authorization_code"}
    with pytest.raises(ValidationError) as err:
        pay(
            db,
            actor,
            upstream,
            invoice_id=10,
            amount=1000,
            method_id=CARD,
            card_type="visa",
            authorization_code="A1",
            card_last4="4242424242424242",
        )
    assert "4242424242424242" not in str(err.value.fields) + err.value.message
    assert session.scalar(select(Payment.id)) is None
    made = pay(
        db,
        actor,
        upstream,
        invoice_id=10,
        amount=1000,
        method_id=CARD,
        card_type="visa",
        authorization_code="A1B2",
        card_last4="4242",
    )
    assert (made["card_type"], made["authorization_code"], made["card_last4"]) == ("visa", "A1B2", "4242")


def test_fields_of_another_method_type_are_refused(db, actor, upstream):
    with pytest.raises(ValidationError) as err:
        pay(
            db,
            actor,
            upstream,
            invoice_id=10,
            amount=1000,
            method_id=CHECK,
            check_number="1",
            amount_tendered=2000,
        )
    assert "amount_tendered" in err.value.fields


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"amount": 0}, "amount"),
        ({"amount": -100}, "amount"),
        ({"amount": 10.5}, "amount"),
        ({"amount": "10"}, "amount"),
        ({"future": True}, "due_date"),
        ({"refundable": True}, "refundable_until"),
        ({"change_due": 5}, "change_due"),
        ({"client_id": None, "invoice_id": None}, "client_id"),
    ],
)
def test_bad_input_names_the_field(db, actor, upstream, fields, field):
    payload = {"invoice_id": 10, "amount": 1000, **fields}
    with pytest.raises(ValidationError) as err:
        pay(db, actor, upstream, **payload)
    assert field in err.value.fields


def test_unknown_method_invoice_client_and_inactive_method(db, actor, upstream, session):
    with pytest.raises(NotFound) as err:
        pay(db, actor, upstream, invoice_id=10, amount=100, method_id=77)
    assert err.value.fields == {"method_id": "not found"}
    with pytest.raises(NotFound) as err:
        pay(db, actor, upstream, invoice_id=404, amount=100)
    assert err.value.fields == {"invoice_id": "not found"}
    with pytest.raises(NotFound) as err:
        pay(db, actor, upstream, client_id=404, amount=100)
    assert err.value.fields == {"client_id": "not found"}
    session.execute(text("UPDATE payment_methods SET active = 0 WHERE id = 4"))
    with pytest.raises(Unprocessable) as err:
        pay(db, actor, upstream, invoice_id=10, amount=100, method_id=OTHER)
    assert err.value.fields == {"method_id": "inactive method"}


def test_another_clients_invoice_and_a_void_invoice_are_refused(db, actor, upstream):
    with pytest.raises(Unprocessable) as err:
        pay(db, actor, upstream, client_id=2, invoice_id=10, amount=100)
    assert err.value.fields == {"invoice_id": "another client's invoice"}
    with pytest.raises(Unprocessable) as err:
        pay(db, actor, upstream, invoice_id=12, amount=100)
    assert err.value.fields == {"invoice_id": "void invoice"}


def test_stripe_needs_its_processor(db, actor, upstream, session):
    from payments import methods

    stripe = methods.create_method(session, {"name": "Stripe", "type": "stripe"})
    with pytest.raises(Unprocessable) as err:
        pay(db, actor, upstream, invoice_id=10, amount=100, method_id=stripe["id"])
    assert "processor" in err.value.fields["method_id"]


def test_overpayment_refused_unless_allowed_then_the_excess_is_a_deposit(db, actor, upstream):
    pay(db, actor, upstream, invoice_id=10, amount=6000)
    # invoicing has not heard of the first payment yet: its balance still says 100.00
    with pytest.raises(Unprocessable) as err:
        pay(db, actor, upstream, invoice_id=10, amount=5000)
    assert "40.00" in err.value.fields["amount"]
    made = pay(db, actor, upstream, invoice_id=10, amount=5000, amount_tendered=6000, allow_overpayment=True)
    assert (made["amount"], made["invoice_id"], made["amount_tendered"], made["change_due"]) == (
        4000,
        10,
        5000,
        1000,
    )
    deposit = made["deposit"]
    assert (deposit["amount"], deposit["invoice_id"], deposit["client_id"]) == (1000, None, 1)
    assert deposit["overpayment_of"] == made["id"]
    assert [e for e, _ in db.events] == ["payment_recorded"] * 3
    # nothing open: all of it is a deposit
    whole = pay(db, actor, upstream, invoice_id=10, amount=700, allow_overpayment=True)
    assert whole["invoice_id"] is None and whole["amount"] == 700 and whole["deposit"] is None


def test_payments_here_and_credit_in_invoicing_both_limit_the_open_balance(db, actor, upstream):
    upstream.invoices[10] = {**upstream.invoices[10], "credited": 2000, "balance": 8000}
    with pytest.raises(Unprocessable):
        pay(db, actor, upstream, invoice_id=10, amount=8001)
    pay(db, actor, upstream, invoice_id=10, amount=8000)


def test_deposit_needs_a_known_client(db, actor, upstream):
    made = pay(db, actor, upstream, client_id=2, amount=4000)
    assert made["invoice_id"] is None and made["client_id"] == 2


def test_refund_from_a_credit_memo_and_over_refund_refused(db, actor, upstream):
    made = pay(
        db, actor, upstream, kind="refund", credit_memo_id=20, amount=1000, method_id=CHECK, check_number="7"
    )
    assert (made["kind"], made["client_id"], made["credit_memo_id"], made["invoice_id"]) == (
        "refund",
        1,
        20,
        None,
    )
    assert made["unapplied_deposits"] is None
    assert db.events[-1][0] == "refund_recorded" and db.events[-1][1]["refund"]["id"] == made["id"]
    with pytest.raises(Unprocessable) as err:
        pay(db, actor, upstream, kind="refund", credit_memo_id=20, amount=2001)
    assert "20.00" in err.value.fields["amount"]
    # a memo against an invoice: only what invoicing says may go back
    with pytest.raises(Unprocessable):
        pay(db, actor, upstream, kind="refund", credit_memo_id=21, amount=401)
    against = pay(db, actor, upstream, kind="refund", credit_memo_id=21, amount=400)
    assert against["invoice_id"] == 10


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"credit_memo_id": None}, "credit_memo_id"),
        ({"invoice_id": 10}, "invoice_id"),
        ({"future": True, "due_date": "2026-07-01"}, "future"),
    ],
)
def test_refund_rules(db, actor, upstream, fields, field):
    with pytest.raises(ValidationError) as err:
        pay(db, actor, upstream, **{"kind": "refund", "credit_memo_id": 20, "amount": 100, **fields})
    assert field in err.value.fields


def test_refund_from_an_unknown_memo_or_another_clients(db, actor, upstream):
    with pytest.raises(NotFound) as err:
        pay(db, actor, upstream, kind="refund", credit_memo_id=404, amount=100)
    assert err.value.fields == {"credit_memo_id": "not found"}
    with pytest.raises(Unprocessable):
        pay(db, actor, upstream, kind="refund", credit_memo_id=20, client_id=2, amount=100)


def test_future_payment_counts_only_once_received(db, actor, upstream, today):
    due = today + dt.timedelta(days=10)
    made = pay(db, actor, upstream, invoice_id=10, amount=6000, future=True, due_date=due.isoformat())
    assert (made["status"], made["future"], made["due_date"]) == ("future", True, due.isoformat())
    assert db.events[-1][1]["payment"]["future"] is True
    # it does not count: the whole balance may still be paid
    other = pay(db, actor, upstream, invoice_id=10, amount=5000)
    with pytest.raises(Unprocessable):
        records.receive_payment(db, made["id"], {}, actor, upstream)
    got = records.receive_payment(
        db, made["id"], {"payment_date": "2026-06-20", "allow_overpayment": True}, actor, upstream
    )
    assert (got["status"], got["future"], got["amount"], got["payment_date"]) == (
        "recorded",
        False,
        5000,
        "2026-06-20",
    )
    assert got["deposit"]["amount"] == 1000 and got["deposit"]["overpayment_of"] == made["id"]
    assert db.events[-2][0] == "payment_updated" and db.events[-2][1]["payment"]["future"] is False
    assert db.events[-1][0] == "payment_recorded"
    with pytest.raises(Unprocessable):
        records.receive_payment(db, other["id"], {}, actor, upstream)


def test_change_writes_a_note_and_an_event_and_rechecks_the_balance(db, actor, upstream, session):
    made = pay(db, actor, upstream, invoice_id=10, amount=3000)
    pay(db, actor, upstream, invoice_id=10, amount=5000)
    with pytest.raises(Unprocessable):
        records.update_payment(db, made["id"], {"amount": 5001}, actor, upstream)
    changed = records.update_payment(
        db, made["id"], {"amount": 5000, "method_id": CHECK, "check_number": "88"}, actor, upstream
    )
    assert (changed["amount"], changed["method_type"], changed["check_number"], changed["version"]) == (
        5000,
        "check",
        "88",
        2,
    )
    assert changed["amount_tendered"] is None and changed["change_due"] is None
    assert (
        db.events[-1] == ("payment_updated", db.events[-1][1]) and db.events[-1][1]["payment"]["version"] == 2
    )
    note = session.scalars(
        select(PaymentNote).where(PaymentNote.payment_id == made["id"]).order_by(PaymentNote.id.desc())
    ).first()
    assert note.action == "updated" and note.user_id == 7
    fields = {c["field"]: (c["from"], c["to"]) for c in note.changes}
    assert fields["amount"] == (3000, 5000) and fields["method_id"] == (CASH, CHECK)
    assert "amount: 30.00 → 50.00" in note.message
    # nothing changed: no note, no event
    count = len(db.events)
    records.update_payment(db, made["id"], {"amount": 5000}, actor, upstream)
    assert len(db.events) == count


def test_move_to_another_invoice_or_make_it_a_deposit(db, actor, upstream):
    made = pay(db, actor, upstream, invoice_id=10, amount=3000)
    with pytest.raises(Unprocessable):  # invoice 11 is client 2's
        records.update_payment(db, made["id"], {"invoice_id": 11, "client_id": 1}, actor, upstream)
    moved = records.update_payment(db, made["id"], {"invoice_id": 11}, actor, upstream)
    assert (moved["invoice_id"], moved["client_id"]) == (11, 2)
    deposit = records.update_payment(db, made["id"], {"invoice_id": None}, actor, upstream)
    assert deposit["invoice_id"] is None and deposit["client_id"] == 2


def test_void_keeps_the_payment_and_frees_the_balance(db, actor, upstream, session):
    made = pay(db, actor, upstream, invoice_id=10, amount=10000)
    voided = records.void_payment(db, made["id"], {"reason": "bounced"}, actor)
    assert voided["status"] == "void" and voided["void_reason"] == "bounced" and voided["version"] == 2
    assert db.events[-1][0] == "payment_voided"
    again = records.void_payment(db, made["id"], {}, actor)
    assert again["version"] == 2 and db.events[-1][0] == "payment_voided" and len(db.events) == 2
    with pytest.raises(Unprocessable):
        records.update_payment(db, made["id"], {"amount": 10}, actor, upstream)
    pay(db, actor, upstream, invoice_id=10, amount=10000)  # the voided one no longer counts
    actions = session.scalars(
        select(PaymentNote.action).where(PaymentNote.payment_id == made["id"]).order_by(PaymentNote.id)
    ).all()
    assert actions == ["created", "voided"]


def test_notes_cannot_be_changed_or_deleted_in_the_database(db, actor, upstream, session):
    made = pay(db, actor, upstream, invoice_id=10, amount=100)
    session.commit()
    for statement in ("UPDATE payment_notes SET message = 'x'", "DELETE FROM payment_notes"):
        with pytest.raises(Exception) as err:
            session.execute(text(statement))
        assert "cannot be changed or deleted" in str(err.value)
        session.rollback()
    assert session.scalar(select(PaymentNote.message).where(PaymentNote.payment_id == made["id"]))


def test_numbers_are_consecutive_and_skip_taken_ones(db, actor, upstream, session):
    from payments import settings

    settings.update_settings(session, {"payment_number_prefix": "R-"}, 1)
    first = pay(db, actor, upstream, client_id=1, amount=100)
    settings.update_settings(session, {"next_payment_number": 1}, 1)
    second = pay(db, actor, upstream, client_id=1, amount=100)
    assert (first["payment_number"], second["payment_number"]) == ("R-1", "R-2")


def test_a_change_counts_its_own_amount_back_when_invoicing_has_it(db, actor, upstream):
    made = pay(db, actor, upstream, invoice_id=10, amount=6000)
    upstream.invoices[10].update(paid=6000, balance=4000)  # invoicing has heard of it
    assert records.update_payment(db, made["id"], {"amount": 10000}, actor, upstream)["amount"] == 10000
    with pytest.raises(Unprocessable):
        records.update_payment(db, made["id"], {"amount": 10001}, actor, upstream)
    refund = pay(db, actor, upstream, kind="refund", credit_memo_id=20, amount=1000)
    upstream.memos[20].update(refunded=1000, remaining=2000)
    assert records.update_payment(db, refund["id"], {"amount": 3000}, actor, upstream)["amount"] == 3000
    with pytest.raises(Unprocessable):
        records.update_payment(db, refund["id"], {"amount": 3001}, actor, upstream)
