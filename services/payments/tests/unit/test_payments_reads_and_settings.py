"""Payment methods, the settings and the security preference, the hub and a client's history,
the payment tools, receipts, and the service shell (permissions, the context flag)."""

import datetime as dt
import io
import types
from unittest import mock

import pypdf
import pytest
from nameko.testing.services import worker_factory

from payments import listing, methods, receipts, records, settings
from payments.service import PaymentsService
from proofsheet_shared.context import Identity
from proofsheet_shared.errors import Conflict, Forbidden, NotFound, Unprocessable, ValidationError

from ..conftest import CARD, CASH, CHECK
from .conftest import CLIENTS, FakeUpstream


def pay(db, actor, upstream, **fields):
    return records.create_payment(db, {"method_id": CASH, **fields}, actor, upstream)


# --- methods and settings -------------------------------------------------------------------


def test_methods_are_seeded_listed_added_and_renamed(session):
    listed = methods.list_methods(session)["items"]
    assert [(m["name"], m["type"]) for m in listed] == [
        ("Cash", "cash"),
        ("Check", "check"),
        ("Credit card", "card"),
        ("Other", "other"),
    ]
    gift = methods.create_method(session, {"name": "Gift  Card", "type": "other", "sort_order": 9})
    with pytest.raises(Conflict):
        methods.create_method(session, {"name": "gift card", "type": "other"})
    with pytest.raises(ValidationError) as err:
        methods.create_method(session, {"name": "Barter", "type": "goats"})
    assert "type" in err.value.fields
    renamed = methods.update_method(session, gift["id"], {"name": "Voucher", "active": False})
    assert (renamed["name"], renamed["active"]) == ("Voucher", False)
    assert [m["name"] for m in methods.list_methods(session, {"active": "false"})["items"]] == ["Voucher"]
    with pytest.raises(NotFound):
        methods.update_method(session, 999, {"name": "x"})


def test_a_used_methods_type_is_fixed(db, actor, upstream, session):
    pay(db, actor, upstream, client_id=1, amount=100)
    with pytest.raises(Unprocessable) as err:
        methods.update_method(session, CASH, {"type": "check"})
    assert err.value.fields == {"type": "method in use"}
    assert methods.update_method(session, CASH, {"name": "Cash money"})["name"] == "Cash money"


def test_settings_and_the_security_preference(session):
    assert settings.settings_to_dict(settings.get_settings(session)) == {
        "require_credentials": False,
        "payment_number_prefix": "",
        "next_payment_number": 1,
    }
    staff = Identity(2, frozenset({"payments.write"}))
    manager = Identity(3, frozenset({"payments.write", "payments.modify"}))
    settings.check_credentials(session, staff, False)  # off: anyone with payments.write
    settings.update_settings(session, {"require_credentials": True}, 1)
    with pytest.raises(Forbidden) as err:
        settings.check_credentials(session, staff, True)
    assert err.value.fields == {"permission": "payments.modify"}
    with pytest.raises(Forbidden) as err:
        settings.check_credentials(session, manager, False)
    assert err.value.fields == {"X-Confirm-Password": "required"}
    settings.check_credentials(session, manager, True)
    with pytest.raises(ValidationError):
        settings.update_settings(session, {"require_credentials": "sometimes"}, 1)


# --- reading ----------------------------------------------------------------------------------


def test_hub_filters_and_pages(db, actor, upstream, today):
    a = pay(db, actor, upstream, invoice_id=10, amount=1000, payment_date="2026-06-01")
    b = pay(
        db,
        actor,
        upstream,
        invoice_id=10,
        amount=2000,
        method_id=CHECK,
        check_number="5",
        payment_date="2026-06-10",
    )
    c = pay(db, actor, upstream, client_id=2, amount=300, payment_date="2026-06-10")
    d = pay(db, actor, upstream, kind="refund", credit_memo_id=20, amount=100)
    e = pay(db, actor, upstream, invoice_id=11, amount=500, future=True, due_date="2026-07-01")
    page = listing.list_payments(db.session, {})
    assert [p["id"] for p in page["items"]] == [e["id"], d["id"], c["id"], b["id"], a["id"]]

    def ids(**args):
        return [
            p["id"] for p in listing.list_payments(db.session, {k: str(v) for k, v in args.items()})["items"]
        ]

    assert ids(client_id=1) == [d["id"], b["id"], a["id"]]
    assert ids(invoice_id=10) == [b["id"], a["id"]]
    assert ids(method_id=CHECK) == [b["id"]]
    assert ids(kind="refund") == [d["id"]]
    assert ids(**{"from": "2026-06-05", "to": "2026-06-10"}) == [c["id"], b["id"]]
    assert ids(future="true") == [e["id"]]
    assert ids(future="true", due_before="2026-06-30") == []
    assert ids(future="true", due_before="2026-07-01") == [e["id"]]
    assert e["id"] not in ids(future="false")
    first = listing.list_payments(db.session, {"limit": "2"})
    second = listing.list_payments(db.session, {"limit": "2", "cursor": first["next_cursor"]})
    third = listing.list_payments(db.session, {"limit": "2", "cursor": second["next_cursor"]})
    assert [p["id"] for p in first["items"] + second["items"] + third["items"]] == [
        e["id"],
        d["id"],
        c["id"],
        b["id"],
        a["id"],
    ]
    assert third["next_cursor"] is None
    with pytest.raises(ValidationError):
        listing.list_payments(db.session, {"cursor": "bogus"})
    with pytest.raises(ValidationError):
        listing.list_payments(db.session, {"from": "2026-06-10", "to": "2026-06-01"})


def test_client_history_with_totals(db, actor, upstream):
    pay(db, actor, upstream, invoice_id=10, amount=1000)
    voided = pay(db, actor, upstream, invoice_id=10, amount=50)
    records.void_payment(db, voided["id"], {}, actor)
    pay(db, actor, upstream, kind="refund", credit_memo_id=20, amount=200)
    page = listing.client_payments(db.session, 1, {}, upstream.client)
    assert (page["paid"], page["refunded"], len(page["items"])) == (1000, 200, 3)
    assert (
        listing.client_payments(db.session, 1, {"kind": "refund"}, upstream.client)["items"][0]["amount"]
        == 200
    )
    assert listing.client_payments(db.session, 2, {}, upstream.client)["items"] == []
    with pytest.raises(NotFound):
        listing.client_payments(db.session, 404, {}, upstream.client)
    assert listing.client_references(db.session, 1) == {"payments": 3}


@pytest.mark.parametrize(
    "total, percent, amount",
    [
        (10001, "50", 5001),  # 5000.5 rounds half up
        (10001, "33.33", 3333),  # 3333.3333
        (999, "12.5", 125),  # 124.875
        (100, "0.5", 1),  # 0.5 rounds up
        (100, "0.49", 0),
        (12345, "100", 12345),
    ],
)
def test_percent_of_the_total_rounds_half_up(session, total, percent, amount):
    info = {"invoice_id": 1, "currency": "usd", "total": total, "credited": 0, "balance": total}
    got = listing.amount_for(session, {"invoice_id": "1", "percent": percent}, lambda _id: info)
    assert got["amount"] == amount and got["total"] == total


def test_full_balance_counts_payments_invoicing_has_not_heard_of(db, actor, upstream):
    pay(db, actor, upstream, invoice_id=10, amount=2500)
    got = listing.amount_for(
        db.session, {"invoice_id": "10", "full_balance": "true"}, upstream.invoice_balance
    )
    assert (got["amount"], got["balance"], got["percent"]) == (7500, 7500, None)
    for args in (
        {"invoice_id": "10"},
        {"invoice_id": "10", "percent": "0"},
        {"invoice_id": "10", "percent": "1.234"},
        {"invoice_id": "10", "percent": "5", "full_balance": "true"},
    ):
        with pytest.raises(ValidationError):
            listing.amount_for(db.session, args, upstream.invoice_balance)


# --- receipts ---------------------------------------------------------------------------------


def pdf_text(document):
    return pypdf.PdfReader(io.BytesIO(document)).pages[0].extract_text()


def test_receipt_shows_the_payment_the_client_and_the_invoice(db, actor, upstream):
    upstream.invoices[10].update(total=200000, balance=200000)
    made = pay(
        db,
        actor,
        upstream,
        invoice_id=10,
        amount=123456,
        method_id=CARD,
        card_type="visa",
        authorization_code="OK-1",
        card_last4="4242",
    )
    studio = {"name": "Bright Light Studio", "address": {"line1": "1 Main St", "city": "Portland"}}
    invoice = dict(upstream.invoices[10], balance=200000 - 123456)
    text = pdf_text(receipts.render_pdf(made, CLIENTS[1], invoice, studio))
    assert "RECEIPT" in text and made["payment_number"] in text and "1,234.56 USD" in text
    assert "Bright Light Studio" in text and "Ms. Ada Lovelace" in text and "12 Analytical Way" in text
    assert "INV-10" in text and "4242" in text and "OK-1" in text
    voided = records.void_payment(db, made["id"], {}, actor)
    assert "VOID" in pdf_text(receipts.render_pdf(voided, CLIENTS[1], invoice, studio))
    refund = pay(db, actor, upstream, kind="refund", credit_memo_id=20, amount=500)
    assert "REFUND" in pdf_text(receipts.render_pdf(refund, None, None, {}))
    html = receipts.render_html(dict(made, notes="<script>x</script>"), CLIENTS[1], None, {})
    assert "<script>x" not in html  # autoescaped


def test_money_format():
    assert receipts.format_money(123456, "usd") == "1,234.56 USD"
    assert receipts.format_money(-5, "eur") == "-0.05 EUR"
    assert receipts.format_money(1500, "jpy") == "1,500 JPY"


# --- the service shell --------------------------------------------------------------------------

STUDIO = types.SimpleNamespace(
    time_zone="UTC", currency="usd", get=lambda: {"name": "Test Studio", "address": {}, "currency": "usd"}
)


def make_service(db, permissions=("*",), confirmed=False):
    upstream = FakeUpstream()
    cluster = mock.MagicMock()
    cluster.invoicing.invoice_balance.side_effect = upstream.invoice_balance
    cluster.invoicing.credit_memo_refundable.side_effect = upstream.credit_memo_refundable
    cluster.invoicing.unapplied_deposits.side_effect = lambda cid: {"client_id": cid, "items": [], "total": 0}
    cluster.clients.get_client.side_effect = upstream.client
    cluster.clients.get_clients.side_effect = upstream.clients
    return worker_factory(
        PaymentsService,
        db=db,
        caller=Identity(5, frozenset(permissions), "req-1"),
        studio=STUDIO,
        cluster=cluster,
        confirmed=confirmed,
    )


def test_service_shell_permissions_and_round_trip(db):
    service = make_service(db)
    made = service.create_payment({"invoice_id": 10, "amount": 1000, "method_id": CASH})
    assert made["created_by"] == 5 and made["unapplied_deposits"] == []
    assert made["payment_date"] == dt.datetime.now(dt.timezone.utc).date().isoformat()
    assert service.get_payment(made["id"])["id"] == made["id"]
    assert service.list_notes(made["id"])["items"][0]["user_id"] == 5
    assert service.client_references(1) == {"payments": 1}
    assert service.amount_for({"invoice_id": "10", "full_balance": "true"})["amount"] == 9000
    with pytest.raises(NotFound) as err:
        service.amount_for({"invoice_id": "404", "full_balance": "true"})
    assert err.value.fields == {"invoice_id": "not found"}
    reader = make_service(db, permissions=("payments.read",))
    with pytest.raises(Forbidden):
        reader.create_payment({"invoice_id": 10, "amount": 1000, "method_id": CASH})
    with pytest.raises(Forbidden):
        reader.create_method({"name": "x", "type": "cash"})
    assert reader.list_payments({})["items"][0]["id"] == made["id"]
    nobody = make_service(db, permissions=())
    with pytest.raises(Forbidden):
        nobody.get_payment(made["id"])
    document = service.render_receipt_pdf(made["id"])
    assert pdf_text(__import__("base64").b64decode(document)).count(made["payment_number"]) >= 1


def test_service_shell_applies_the_security_preference(db):
    admin = make_service(db)
    admin.update_settings({"require_credentials": True})
    staff = make_service(db, permissions=("payments.read", "payments.write"), confirmed=True)
    with pytest.raises(Forbidden):
        staff.create_payment({"client_id": 1, "amount": 100, "method_id": CASH})
    manager = make_service(db, permissions=("payments.read", "payments.write", "payments.modify"))
    with pytest.raises(Forbidden):
        manager.create_payments({"payments": [{"client_id": 1, "amount": 100, "method_id": CASH}]})
    confirmed = make_service(
        db, permissions=("payments.read", "payments.write", "payments.modify"), confirmed=True
    )
    made = confirmed.create_payment({"client_id": 1, "amount": 100, "method_id": CASH})
    with pytest.raises(Forbidden):
        manager.void_payment(made["id"])
    with pytest.raises(Forbidden):
        admin.update_settings({"require_credentials": False})
    assert staff.security_settings() == {"require_credentials": True}
    assert (
        make_service(db, confirmed=True).update_settings({"require_credentials": False})[
            "require_credentials"
        ]
        is False
    )
