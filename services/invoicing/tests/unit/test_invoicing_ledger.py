"""Payment events keep paid/balance/status true; deposits; credit memos and refunds; balances."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from invoicing import invoices, ledger, memos
from invoicing.models import CreditMemo, DepositApplication
from proofsheet_shared.errors import Conflict, NotFound, Unprocessable, ValidationError

TODAY = dt.date(2026, 6, 15)


def invoice_for(db, clients, shop, client_id=1, code="ALBUM", quantity=1):
    """ALBUM is 199.99 + 8.25 % = 216.49."""
    return invoices.create_invoice(
        db,
        {"client_id": client_id, "lines": [{"item_id": shop["items"][code]["id"], "quantity": quantity}]},
        7,
        TODAY,
        "usd",
        clients,
    )


def pay(db, payment_id, amount, invoice_id=None, client_id=1, event="payment_recorded", **extra):
    ledger.apply_payment_event(
        db,
        event,
        {
            "payment": dict(
                {
                    "id": payment_id,
                    "kind": "payment",
                    "client_id": client_id,
                    "invoice_id": invoice_id,
                    "amount": amount,
                },
                **extra,
            )
        },
    )


def current(session, invoice_id):
    return invoices.get_invoice(session, invoice_id)


def test_payments_move_paid_balance_and_status(db, session, shop, clients):
    invoice = invoice_for(db, clients, shop)
    assert invoice["total"] == 21649
    db.clear_events()
    pay(db, 1, 10000, invoice["id"])
    got = current(session, invoice["id"])
    assert (got["paid"], got["balance"], got["status"]) == (10000, 11649, "open")
    assert db.event_types() == ["invoice_updated"]
    assert db.events_of("invoice_updated")[0]["changed"] == ["balance", "paid"]
    pay(db, 2, 11649, invoice["id"])
    got = current(session, invoice["id"])
    assert (got["paid"], got["balance"], got["status"]) == (21649, 0, "paid")
    assert db.event_types()[-2:] == ["invoice_updated", "invoice_paid"]
    # the same event state again (a redelivery the claim did not catch) changes nothing
    pay(db, 2, 11649, invoice["id"])
    assert current(session, invoice["id"])["paid"] == 21649
    # an update lowering the amount, then a void
    pay(db, 2, 1649, invoice["id"], event="payment_updated")
    got = current(session, invoice["id"])
    assert (got["paid"], got["balance"], got["status"]) == (11649, 10000, "open")
    ledger.apply_payment_event(db, "payment_voided", {"payment": {"id": 1}})
    got = current(session, invoice["id"])
    assert (got["paid"], got["balance"]) == (1649, 20000)


def test_events_are_handled_once_per_event_id(db, session, shop, clients):
    invoice = invoice_for(db, clients, shop)
    assert db.claim_event("evt-1") is True
    pay(db, 1, 500, invoice["id"])
    assert db.claim_event("evt-1") is False


def test_future_payments_versions_and_moves_between_invoices(db, session, shop, clients):
    a, b = invoice_for(db, clients, shop), invoice_for(db, clients, shop)
    pay(db, 1, 5000, a["id"], future=True, version=1)
    assert current(session, a["id"])["paid"] == 0
    pay(db, 1, 5000, a["id"], event="payment_updated", future=False, version=3)
    assert current(session, a["id"])["paid"] == 5000
    pay(db, 1, 9999, a["id"], event="payment_updated", version=2)  # older state: ignored
    assert current(session, a["id"])["paid"] == 5000
    pay(db, 1, 5000, b["id"], event="payment_updated", version=4)
    assert (current(session, a["id"])["paid"], current(session, b["id"])["paid"]) == (0, 5000)
    pay(db, 7, 100, a["id"], status="declined")
    assert current(session, a["id"])["paid"] == 0


def test_bad_payment_events_are_refused(db):
    with pytest.raises(ValidationError):
        ledger.apply_payment_event(db, "payment_recorded", {"payment": {"amount": 100}})
    with pytest.raises(ValidationError):
        ledger.apply_payment_event(db, "payment_recorded", {"payment": {"id": 1, "amount": 10.5}})
    with pytest.raises(ValidationError):
        ledger.apply_payment_event(db, "payment_updated", {"payment": {"id": 2}})


def test_deposits_apply_within_limits(db, session, shop, clients):
    pay(db, 10, 30000)  # a deposit: no invoice
    invoice = invoice_for(db, clients, shop)
    assert invoice["unapplied_deposits"] == [{"payment_id": 10, "amount": 30000}]
    assert ledger.client_balance(session, 1)["unapplied_deposits"] == 30000
    db.clear_events()
    applied = ledger.apply_deposit(db, 10, {"invoice_id": invoice["id"], "amount": 20000}, 7)
    assert (applied["amount"], applied["deposit_remaining"]) == (20000, 10000)
    assert (applied["invoice"]["paid"], applied["invoice"]["balance"]) == (20000, 1649)
    assert db.event_types() == ["invoice_updated", "deposit_applied"]
    # over-application: more than the invoice's balance, more than the deposit holds
    with pytest.raises(Unprocessable) as err:
        ledger.apply_deposit(db, 10, {"invoice_id": invoice["id"], "amount": 1650}, 7)
    assert "open balance is 16.49" in err.value.fields["amount"]
    second = invoice_for(db, clients, shop)
    with pytest.raises(Unprocessable) as err:
        ledger.apply_deposit(db, 10, {"invoice_id": second["id"], "amount": 10001}, 7)
    assert "100.00 left on the deposit" in err.value.fields["amount"]
    ledger.apply_deposit(db, 10, {"invoice_id": invoice["id"], "amount": 1649}, 7)
    assert current(session, invoice["id"])["status"] == "paid"
    # other refusals
    other_client = invoice_for(db, clients, shop, client_id=2)
    for payment_id, payload, error, field in (
        (10, {"invoice_id": other_client["id"], "amount": 1}, Unprocessable, "invoice_id"),
        (10, {"invoice_id": 999, "amount": 1}, NotFound, "invoice_id"),
        (99, {"invoice_id": second["id"], "amount": 1}, NotFound, "payment_id"),
        (10, {"invoice_id": second["id"], "amount": 0}, ValidationError, "amount"),
        (10, {"invoice_id": second["id"], "amount": 1.5}, ValidationError, "amount"),
    ):
        with pytest.raises(error) as err:
            ledger.apply_deposit(db, payment_id, payload, 7)
        assert field in err.value.fields
    pay(db, 11, 500, second["id"])  # paid against an invoice: not a deposit
    with pytest.raises(Unprocessable) as err:
        ledger.apply_deposit(db, 11, {"invoice_id": second["id"], "amount": 1}, 7)
    assert list(err.value.fields) == ["payment_id"]


def test_idempotency_key_replays_the_first_application(db, session, shop, clients):
    pay(db, 10, 30000)
    invoice = invoice_for(db, clients, shop)
    first = ledger.apply_deposit(db, 10, {"invoice_id": invoice["id"], "amount": 1000}, 7, "key-1")
    again = ledger.apply_deposit(db, 10, {"invoice_id": invoice["id"], "amount": 1000}, 7, "key-1")
    assert again["id"] == first["id"]
    assert session.scalar(select(func.count()).select_from(DepositApplication)) == 1
    with pytest.raises(Conflict):
        ledger.apply_deposit(db, 10, {"invoice_id": invoice["id"], "amount": 2000}, 7, "key-1")


def test_a_voided_or_shrunk_deposit_takes_its_applications_back(db, session, shop, clients):
    pay(db, 10, 10000)
    a, b = invoice_for(db, clients, shop), invoice_for(db, clients, shop)
    ledger.apply_deposit(db, 10, {"invoice_id": a["id"], "amount": 6000}, 7)
    ledger.apply_deposit(db, 10, {"invoice_id": b["id"], "amount": 4000}, 7)
    pay(db, 10, 7000, event="payment_updated")
    assert (current(session, a["id"])["paid"], current(session, b["id"])["paid"]) == (6000, 1000)
    ledger.apply_payment_event(db, "payment_voided", {"payment": {"id": 10}})
    assert (current(session, a["id"])["paid"], current(session, b["id"])["paid"]) == (0, 0)
    assert ledger.client_balance(session, 1)["unapplied_deposits"] == 0


def test_credit_memos_refunds_and_balances(db, session, shop, clients):
    invoice = invoice_for(db, clients, shop)  # 216.49
    pay(db, 1, 21649, invoice["id"])
    db.clear_events()
    memo = memos.create_credit_memo(
        db,
        {
            "client_id": 1,
            "invoice_id": invoice["id"],
            "lines": [{"description": "Damaged print", "unit_price": 5000}],
        },
        7,
        TODAY,
        "usd",
        clients,
    )
    assert (memo["subtotal"], memo["tax"], memo["total"]) == (5000, 413, 5413)  # the invoice's rate
    assert (memo["refunded"], memo["remaining"]) == (0, 5413)
    assert db.event_types() == ["invoice_updated", "credit_memo_created"]
    got = current(session, invoice["id"])
    assert (got["credited"], got["balance"], got["status"]) == (5413, -5413, "paid")
    assert memos.refundable(session, memo["id"])["remaining"] == 5413
    ledger.apply_payment_event(
        db,
        "refund_recorded",
        {"refund": {"id": 2, "kind": "refund", "client_id": 1, "credit_memo_id": memo["id"], "amount": 3000}},
    )
    assert memos.get_credit_memo(session, memo["id"])["refunded"] == 3000
    assert memos.refundable(session, memo["id"])["remaining"] == 2413
    got = current(session, invoice["id"])
    assert (got["paid"], got["refunded"], got["balance"]) == (18649, 3000, -2413)
    # a memo on account (no invoice) is credit; the client's balance counts it
    on_account = memos.create_credit_memo(
        db,
        {"client_id": 1, "tax_rate_id": None, "lines": [{"description": "Goodwill", "unit_price": 1000}]},
        7,
        TODAY,
        "usd",
        clients,
    )
    assert (on_account["total"], on_account["remaining"]) == (1000, 1000)
    assert ledger.client_balance(session, 1) == {
        "client_id": 1,
        "invoiced": 21649,
        "paid": 18649,
        "credit": 6413,
        "unapplied_deposits": 0,
        "balance": 21649 - 18649 - 6413,
        "known": True,
    }


def test_credit_memo_against_an_unpaid_invoice_reduces_what_is_owed_not_refundable(
    db, session, shop, clients
):
    invoice = invoice_for(db, clients, shop)
    memo = memos.create_credit_memo(
        db,
        {
            "client_id": 1,
            "invoice_id": invoice["id"],
            "lines": [{"description": "Discount", "unit_price": 1000, "taxable": False}],
        },
        7,
        TODAY,
        "usd",
        clients,
    )
    assert current(session, invoice["id"])["balance"] == 20649
    assert memo["remaining"] == 0


@pytest.mark.parametrize(
    "payload, error, field",
    [
        ({"client_id": 2, "invoice_id": 1}, Unprocessable, "invoice_id"),
        ({"client_id": 1, "invoice_id": 99}, NotFound, "invoice_id"),
        ({"client_id": 42}, NotFound, "client_id"),
        (
            {"client_id": 1, "invoice_id": 1, "lines": [{"description": "too much", "unit_price": 30000}]},
            Unprocessable,
            "lines",
        ),
        ({"client_id": 1, "lines": [{"description": "free", "unit_price": 0}]}, Unprocessable, "lines"),
        (
            {"client_id": 1, "lines": [{"description": "neg", "unit_price": -5}]},
            ValidationError,
            "lines.0.unit_price",
        ),
        ({"client_id": 1, "total": 5}, ValidationError, "total"),
    ],
)
def test_bad_credit_memos(db, session, shop, clients, payload, error, field):
    invoice_for(db, clients, shop)
    payload = dict({"lines": [{"description": "x", "unit_price": 100}]}, **payload)
    with pytest.raises(error) as err:
        memos.create_credit_memo(db, payload, 7, TODAY, "usd", clients)
    assert field in err.value.fields
    assert session.scalar(select(func.count()).select_from(CreditMemo)) == 0


def test_client_balance_and_references(db, session, shop, clients):
    assert ledger.client_balance(session, 3)["known"] is False
    invoice_for(db, clients, shop, client_id=3)
    assert ledger.client_references(session, 3) == {"invoices": 1, "credit_memos": 0}
    assert ledger.client_references(session, 2) == {"invoices": 0, "credit_memos": 0}
    balance = ledger.client_balance(session, 3)
    assert (balance["invoiced"], balance["balance"], balance["known"]) == (21649, 21649, True)
