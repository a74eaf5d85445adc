"""Invoices: computed totals, numbering, coupons and their rules, bad input, edits, voiding."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from invoicing import catalog, invoices, ledger
from invoicing.models import Invoice, InvoiceLine
from proofsheet_shared.errors import NotFound, Unprocessable, ValidationError

TODAY = dt.date(2026, 6, 15)


def create(db, clients, payload, currency="usd"):
    return invoices.create_invoice(db, payload, 7, TODAY, currency, clients)


def promo(session, shop, code="SAVE10", **rules):
    promotion = dict({"coupon_code": code, "percent_off": 10}, **rules)
    return catalog.create_item(
        session,
        {
            "price_list_id": shop["price_list"]["id"],
            "code": f"P-{code}",
            "name": f"Promotion {code}",
            "item_type": "promotional",
            "promotion": promotion,
        },
    )


def lines(shop, *codes):
    return [{"item_id": shop["items"][code]["id"], "quantity": quantity} for code, quantity in codes]


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_invoice_from_items_with_tax_and_coupon(db, session, shop, clients):
    promo(session, shop)
    invoice = create(
        db,
        clients,
        {
            "client_id": 1,
            "coupon_code": "save10",
            "session_id": 44,
            "lines": lines(shop, ("SIT", 1), ("8X10", 3))
            + [{"description": "Retouching", "unit_price": 1000, "quantity": 2}],
        },
    )
    # 15000 (untaxed) + 7497 + 2000 = 24497; 10 % = 2449.7 → 2450 spread 1500 / 750 / 200
    assert [(ln["amount"], ln["discount"], ln["tax"], ln["total"]) for ln in invoice["lines"]] == [
        (15000, 1500, 0, 13500),
        (7497, 750, 557, 7304),
        (2000, 200, 149, 1949),
    ]
    assert (invoice["subtotal"], invoice["discount"], invoice["tax"], invoice["total"]) == (
        24497,
        2450,
        706,
        22753,
    )
    assert (invoice["paid"], invoice["credited"], invoice["balance"], invoice["status"]) == (
        0,
        0,
        22753,
        "open",
    )
    assert invoice["invoice_number"] == "INV-1000" and invoice["coupon_code"] == "SAVE10"
    assert (invoice["invoice_date"], invoice["due_date"]) == ("2026-06-15", "2026-07-15")
    assert invoice["tax_rate_basis_points"] == 825 and invoice["currency"] == "usd"
    assert invoice["lines"][0]["description"] == "Session fee" and invoice["lines"][0]["taxable"] is False
    assert invoice["unapplied_deposits"] == []
    assert db.event_types() == ["invoice_created"]
    assert db.events_of("invoice_created")[0]["invoice"]["total"] == 22753
    assert catalog.list_items(session, {"item_type": "promotional"})["items"][0]["promotion"]["uses"] == 1


def test_numbers_follow_the_settings(db, session, shop, clients):
    numbers = [
        create(db, clients, {"client_id": 1, "lines": lines(shop, ("SIT", 1))})["invoice_number"]
        for _ in range(3)
    ]
    assert numbers == ["INV-1000", "INV-1001", "INV-1002"]
    catalog.update_settings(session, {"invoice_number_prefix": "", "next_invoice_number": 1001})
    # 1001 and 1002 are free without the prefix
    assert create(db, clients, {"client_id": 1, "lines": lines(shop, ("SIT", 1))})["invoice_number"] == "1001"
    catalog.update_settings(session, {"invoice_number_prefix": "INV-", "next_invoice_number": 1001})
    # INV-1001 and INV-1002 are taken: skipped
    assert (
        create(db, clients, {"client_id": 1, "lines": lines(shop, ("SIT", 1))})["invoice_number"]
        == "INV-1003"
    )


def test_explicit_rate_no_rate_and_dates(db, session, shop, clients):
    other = catalog.create_tax_rate(session, {"name": "Low", "rate_basis_points": 500})
    low = create(db, clients, {"client_id": 1, "tax_rate_id": other["id"], "lines": lines(shop, ("8X10", 1))})
    assert (low["tax"], low["tax_rate_id"]) == (125, other["id"])  # 124.95 → 125
    none = create(db, clients, {"client_id": 1, "tax_rate_id": None, "lines": lines(shop, ("8X10", 1))})
    assert (none["tax"], none["tax_rate_id"], none["total"]) == (0, None, 2499)
    dated = create(
        db,
        clients,
        {
            "client_id": 1,
            "invoice_date": "2026-01-10",
            "due_date": "2026-01-20",
            "lines": [
                {
                    "item_id": shop["items"]["8X10"]["id"],
                    "unit_price": 2000,
                    "taxable": False,
                    "description": "Special print",
                }
            ],
        },
    )
    assert (dated["invoice_date"], dated["due_date"], dated["total"]) == ("2026-01-10", "2026-01-20", 2000)
    assert dated["lines"][0]["description"] == "Special print"


@pytest.mark.parametrize(
    "payload, error, field",
    [
        (
            {"lines": [{"description": "x", "unit_price": 100, "quantity": -1}]},
            ValidationError,
            "lines.0.quantity",
        ),
        (
            {"lines": [{"description": "x", "unit_price": 100, "quantity": 0}]},
            ValidationError,
            "lines.0.quantity",
        ),
        (
            {"lines": [{"description": "x", "unit_price": 100, "quantity": 1.5}]},
            ValidationError,
            "lines.0.quantity",
        ),
        ({"lines": [{"description": "x", "unit_price": -100}]}, ValidationError, "lines.0.unit_price"),
        ({"lines": [{"description": "x", "unit_price": 12.5}]}, ValidationError, "lines.0.unit_price"),
        ({"lines": [{"description": "x", "unit_price": 1250.0}]}, ValidationError, "lines.0.unit_price"),
        ({"lines": [{"description": "x", "unit_price": "12.50"}]}, ValidationError, "lines.0.unit_price"),
        ({"lines": [{"quantity": 2}]}, ValidationError, "lines.0.description"),
        ({"lines": [{"description": "no price"}]}, ValidationError, "lines.0.unit_price"),
        ({"lines": [{"item_id": 999}]}, NotFound, "lines.0.item_id"),
        ({"lines": []}, ValidationError, "lines"),
        ({}, ValidationError, "lines"),
        ({"client_id": 42, "lines": [{"description": "x", "unit_price": 1}]}, NotFound, "client_id"),
        ({"client_id": None, "lines": [{"description": "x", "unit_price": 1}]}, ValidationError, "client_id"),
        ({"lines": [{"description": "x", "unit_price": 1}], "total": 5}, ValidationError, "total"),
        ({"lines": [{"description": "x", "unit_price": 1}], "balance": 0}, ValidationError, "balance"),
        ({"lines": [{"description": "x", "unit_price": 1}], "currency": "eur"}, Unprocessable, "currency"),
        ({"lines": [{"description": "x", "unit_price": 1}], "tax_rate_id": 99}, NotFound, "tax_rate_id"),
        (
            {
                "lines": [{"description": "x", "unit_price": 1}],
                "invoice_date": "2026-02-02",
                "due_date": "2026-02-01",
            },
            ValidationError,
            "due_date",
        ),
        (
            {"lines": [{"description": "x", "unit_price": 1}], "coupon_code": "NOPE"},
            Unprocessable,
            "coupon_code",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(
    db, session, shop, clients, payload, error, field
):
    payload = dict({"client_id": 1}, **payload)
    with pytest.raises(error) as err:
        create(db, clients, payload)
    assert field in err.value.fields, err.value.fields
    assert count(session, Invoice) == 0 and count(session, InvoiceLine) == 0 and db.events == []
    assert catalog.get_settings(session).next_invoice_number == 1000


def test_promotional_and_inactive_items_are_not_lines(db, session, shop, clients):
    item = promo(session, shop)
    with pytest.raises(Unprocessable) as err:
        create(db, clients, {"client_id": 1, "lines": [{"item_id": item["id"]}]})
    assert list(err.value.fields) == ["lines.0.item_id"]
    catalog.update_item(session, shop["items"]["ALBUM"]["id"], {"active": False})
    with pytest.raises(Unprocessable) as err:
        create(db, clients, {"client_id": 1, "lines": lines(shop, ("SIT", 1), ("ALBUM", 1))})
    assert list(err.value.fields) == ["lines.1.item_id"]


@pytest.mark.parametrize(
    "rules, payload, rule",
    [
        ({"starts_on": "2026-07-01"}, {}, "not_started"),
        ({"ends_on": "2026-06-14"}, {}, "expired"),
        ({"min_subtotal": 20000}, {}, "below_minimum"),
        ({"starts_on": "2026-01-01", "ends_on": "2026-01-31"}, {"invoice_date": "2026-01-31"}, None),
    ],
)
def test_each_coupon_rule_says_it_refused(db, session, shop, clients, rules, payload, rule):
    promo(session, shop, "RULE", **rules)
    body = dict({"client_id": 1, "coupon_code": "rule", "lines": lines(shop, ("ALBUM", 1))}, **payload)
    if rule is None:
        assert create(db, clients, body)["discount"] == 2000
        return
    with pytest.raises(Unprocessable) as err:
        create(db, clients, body)
    assert err.value.fields["coupon_code"].startswith(rule + ":"), err.value.fields
    assert "RULE" in err.value.message or "rule" in err.value.message
    assert count(session, Invoice) == 0


def test_uses_are_counted_once_per_invoice_and_given_back(db, session, shop, clients):
    item = promo(session, shop, "ONCE", max_uses=1, amount_off=500, percent_off=None)
    first = create(db, clients, {"client_id": 1, "coupon_code": "ONCE", "lines": lines(shop, ("ALBUM", 1))})
    assert first["discount"] == 500
    with pytest.raises(Unprocessable) as err:
        create(db, clients, {"client_id": 2, "coupon_code": "ONCE", "lines": lines(shop, ("ALBUM", 1))})
    assert err.value.fields["coupon_code"].startswith("used_up:")
    # editing the invoice with the same coupon counts nothing more
    edited = invoices.update_invoice(
        db, first["id"], {"coupon_code": "once", "lines": lines(shop, ("ALBUM", 2))}, 7, TODAY, "usd", clients
    )
    assert edited["discount"] == 500 and catalog.get_item(session, item["id"]).uses == 1
    # removing it gives the use back; so does voiding
    invoices.update_invoice(db, first["id"], {"coupon_code": None}, 7, TODAY, "usd", clients)
    assert catalog.get_item(session, item["id"]).uses == 0
    second = create(db, clients, {"client_id": 2, "coupon_code": "ONCE", "lines": lines(shop, ("ALBUM", 1))})
    invoices.void_invoice(db, second["id"], 7)
    assert catalog.get_item(session, item["id"]).uses == 0


def test_edits_recompute_and_publish(db, session, shop, clients):
    invoice = create(db, clients, {"client_id": 1, "lines": lines(shop, ("SIT", 1))})
    db.clear_events()
    edited = invoices.update_invoice(
        db,
        invoice["id"],
        {"lines": lines(shop, ("8X10", 2)), "notes": "rush", "due_date": "2026-08-01"},
        7,
        TODAY,
        "usd",
        clients,
    )
    assert (edited["subtotal"], edited["tax"], edited["total"], edited["balance"]) == (4998, 412, 5410, 5410)
    assert [ln["position"] for ln in edited["lines"]] == [0]
    assert db.event_types() == ["invoice_updated"]
    changed = db.events_of("invoice_updated")[0]["changed"]
    assert {"lines", "total", "notes", "due_date", "balance"} <= set(changed)
    with pytest.raises(ValidationError):
        invoices.update_invoice(db, invoice["id"], {"due_date": "2026-01-01"}, 7, TODAY, "usd", clients)
    session.rollback()
    with pytest.raises(NotFound):
        invoices.update_invoice(db, invoice["id"], {"client_id": 99}, 7, TODAY, "usd", clients)


def test_money_applied_freezes_the_amounts(db, session, shop, clients):
    invoice = create(db, clients, {"client_id": 1, "lines": lines(shop, ("SIT", 1))})
    ledger.apply_payment_event(
        db,
        "payment_recorded",
        {
            "payment": {
                "id": 501,
                "kind": "payment",
                "client_id": 1,
                "invoice_id": invoice["id"],
                "amount": 5000,
            }
        },
    )
    for change in (
        {"lines": lines(shop, ("SIT", 2))},
        {"coupon_code": None},
        {"tax_rate_id": None},
        {"client_id": 2},
    ):
        with pytest.raises(Unprocessable) as err:
            invoices.update_invoice(db, invoice["id"], change, 7, TODAY, "usd", clients)
        assert list(err.value.fields) == list(change)
        assert "payments are applied" in err.value.message
    # what money does not touch can still change
    assert (
        invoices.update_invoice(db, invoice["id"], {"notes": "paid a deposit"}, 7, TODAY, "usd", clients)[
            "notes"
        ]
        == "paid a deposit"
    )


def test_voiding_rules(db, session, shop, clients):
    unpaid = create(db, clients, {"client_id": 1, "lines": lines(shop, ("SIT", 1))})
    db.clear_events()
    voided = invoices.void_invoice(db, unpaid["id"], 7)
    assert (voided["status"], voided["balance"], voided["invoice_number"]) == (
        "void",
        0,
        unpaid["invoice_number"],
    )
    assert voided["total"] == unpaid["total"] and voided["voided_at"]
    assert db.event_types() == ["invoice_voided"]
    assert invoices.void_invoice(db, unpaid["id"], 7)["status"] == "void" and len(db.events) == 1
    with pytest.raises(Unprocessable) as err:
        invoices.update_invoice(db, unpaid["id"], {"notes": "x"}, 7, TODAY, "usd", clients)
    assert err.value.fields == {"status": "void"}
    paid = create(db, clients, {"client_id": 1, "lines": lines(shop, ("SIT", 1))})
    ledger.apply_payment_event(
        db,
        "payment_recorded",
        {"payment": {"id": 9, "client_id": 1, "invoice_id": paid["id"], "amount": 100}},
    )
    with pytest.raises(Unprocessable) as err:
        invoices.void_invoice(db, paid["id"], 7)
    assert "payments are applied" in err.value.fields["status"]
    # the next number is not the voided one's
    assert (
        create(db, clients, {"client_id": 1, "lines": lines(shop, ("SIT", 1))})["invoice_number"]
        == "INV-1002"
    )


def test_get_and_list(db, session, shop, clients):
    a = create(db, clients, {"client_id": 1, "lines": lines(shop, ("SIT", 1)), "invoice_date": "2026-05-01"})
    b = create(db, clients, {"client_id": 2, "lines": lines(shop, ("SIT", 1)), "session_id": 5})
    c = create(db, clients, {"client_id": 1, "lines": lines(shop, ("8X10", 1))})
    invoices.void_invoice(db, c["id"], 7)
    assert invoices.get_invoice(session, a["id"])["lines"][0]["item_id"] == shop["items"]["SIT"]["id"]
    with pytest.raises(NotFound):
        invoices.get_invoice(session, 999)
    ids = lambda args: [i["id"] for i in invoices.list_invoices(session, args)["items"]]  # noqa: E731
    assert ids({}) == [c["id"], b["id"], a["id"]]
    assert ids({"client_id": 1}) == [c["id"], a["id"]]
    assert ids({"status": "void"}) == [c["id"]]
    assert ids({"session_id": 5}) == [b["id"]]
    assert ids({"from": "2026-06-01"}) == [c["id"], b["id"]]
    assert ids({"to": "2026-05-31"}) == [a["id"]]
    assert ids({"q": "INV-1001"}) == [b["id"]]
    first = invoices.list_invoices(session, {"limit": 2})
    assert "lines" not in first["items"][0]
    assert ids({"limit": 2, "cursor": first["next_cursor"]}) == [a["id"]]
    with pytest.raises(ValidationError):
        invoices.list_invoices(session, {"status": "late"})
