"""Balances, aging and services reports on known data."""

import datetime as dt

import pytest

from invoicing import invoices, ledger, memos, reports
from proofsheet_shared.errors import ValidationError

TODAY = dt.date(2026, 6, 15)


def make(db, clients, client_id, price, due, invoice_date="2026-01-01", taxable=False, item_id=None, **extra):
    line = {"description": "Work", "unit_price": price, "taxable": taxable}
    if item_id:
        line["item_id"] = item_id
    return invoices.create_invoice(
        db,
        dict(
            {"client_id": client_id, "invoice_date": invoice_date, "due_date": due, "lines": [line]}, **extra
        ),
        7,
        TODAY,
        "usd",
        clients,
    )


def pay(db, payment_id, amount, invoice_id=None, client_id=1):
    ledger.apply_payment_event(
        db,
        "payment_recorded",
        {"payment": {"id": payment_id, "client_id": client_id, "invoice_id": invoice_id, "amount": amount}},
    )


def test_aging_buckets(db, session, clients):
    make(db, clients, 1, 1000, "2026-06-15")  # due today: current
    make(db, clients, 1, 2000, "2026-06-14")  # 1 day past due
    make(db, clients, 1, 3000, "2026-05-16")  # 30 days
    make(db, clients, 1, 4000, "2026-05-15")  # 31 days
    make(db, clients, 2, 5000, "2026-04-16")  # 60 days
    make(db, clients, 2, 6000, "2026-04-15")  # 61 days
    make(db, clients, 2, 7000, "2026-03-17")  # 90 days
    late = make(db, clients, 2, 8000, "2026-03-16")  # 91 days
    paid = make(db, clients, 3, 9000, "2026-01-01")
    pay(db, 1, 9000, paid["id"], client_id=3)
    pay(db, 2, 3000, late["id"], client_id=2)
    voided = make(db, clients, 3, 500, "2026-01-01")
    invoices.void_invoice(db, voided["id"], 7)
    report = reports.aging(session, {}, TODAY)
    assert report["as_of"] == "2026-06-15"
    assert report["items"] == [
        {
            "client_id": 2,
            "current": 0,
            "days_1_30": 0,
            "days_31_60": 5000,
            "days_61_90": 13000,
            "days_90_plus": 5000,
            "total": 23000,
        },
        {
            "client_id": 1,
            "current": 1000,
            "days_1_30": 5000,
            "days_31_60": 4000,
            "days_61_90": 0,
            "days_90_plus": 0,
            "total": 10000,
        },
    ]
    assert report["totals"] == {
        "current": 1000,
        "days_1_30": 5000,
        "days_31_60": 9000,
        "days_61_90": 13000,
        "days_90_plus": 5000,
        "total": 33000,
    }
    earlier = reports.aging(session, {"as_of": "2026-04-01"}, TODAY)
    assert (earlier["totals"]["current"], earlier["totals"]["days_1_30"], earlier["totals"]["total"]) == (
        21000,
        12000,
        33000,
    )
    with pytest.raises(ValidationError):
        reports.aging(session, {"as_of": "soon"}, TODAY)


def test_balances_sorted_and_netted(db, session, clients):
    make(db, clients, 1, 1000, "2026-02-01")
    make(db, clients, 2, 5000, "2026-02-01")
    b3 = make(db, clients, 3, 3000, "2026-02-01")
    pay(db, 1, 3000, b3["id"], client_id=3)  # client 3 owes nothing
    pay(db, 2, 400, client_id=1)  # deposit: client 1 owes 600
    memos.create_credit_memo(
        db,
        {"client_id": 2, "lines": [{"description": "credit", "unit_price": 500, "taxable": False}]},
        7,
        TODAY,
        "usd",
        clients,
    )
    assert reports.balances(session) == {
        "items": [{"client_id": 2, "balance": 4500}, {"client_id": 1, "balance": 600}],
        "total": 5100,
    }


def test_services_report_per_item_and_session_type(db, session, shop, clients):
    sit, album = shop["items"]["SIT"]["id"], shop["items"]["ALBUM"]["id"]
    first = invoices.create_invoice(
        db,
        {
            "client_id": 1,
            "invoice_date": "2026-03-01",
            "session_type_id": 4,
            "lines": [
                {"item_id": sit},
                {"item_id": album},
                {"description": "Frame", "unit_price": 5000, "taxable": False},
            ],
        },
        7,
        TODAY,
        "usd",
        clients,
    )
    # 15000 + 21649 (199.99 + 16.50 tax) + 5000 = 41649; pay half of it
    assert first["total"] == 41649
    pay(db, 1, 20825, first["id"])
    invoices.create_invoice(
        db,
        {
            "client_id": 1,
            "invoice_date": "2026-03-20",
            "session_type_id": 4,
            "lines": [{"item_id": sit, "quantity": 2}],
        },
        7,
        TODAY,
        "usd",
        clients,
    )
    invoices.create_invoice(
        db,
        {"client_id": 2, "invoice_date": "2026-04-02", "lines": [{"item_id": album}]},
        7,
        TODAY,
        "usd",
        clients,
    )
    outside = invoices.create_invoice(
        db,
        {"client_id": 2, "invoice_date": "2026-05-01", "lines": [{"item_id": album}]},
        7,
        TODAY,
        "usd",
        clients,
    )
    assert outside
    report = reports.services(session, {"from": "2026-03-01", "to": "2026-04-30"})
    rows = {
        (r["client_id"], r["name"]): (r["item_id"], r["quantity"], r["invoiced"], r["paid"])
        for r in report["items"]
    }
    # paid 20825 spread over 15000 / 21649 / 5000 in proportion: 7500.2 / 10824.8 / 2500.0
    assert rows == {
        (1, "Album"): (album, 1, 21649, 10825),
        (1, "Frame"): (None, 1, 5000, 2500),
        (1, "Session fee"): (sit, 3, 45000, 7500),
        (2, "Album"): (album, 1, 21649, 0),
    }
    by_type = reports.services(
        session, {"from": "2026-03-01", "to": "2026-04-30", "group_by": "session_type"}
    )
    assert [(r["client_id"], r["session_type_id"], r["invoiced"], r["paid"]) for r in by_type["items"]] == [
        (1, 4, 41649 + 30000, 20825),
        (2, None, 21649, 0),
    ]
    only = reports.services(session, {"from": "2026-03-01", "to": "2026-04-30", "client_id": 2})
    assert [r["client_id"] for r in only["items"]] == [2]
    for bad in (
        {"from": "2026-03-01"},
        {"from": "2026-03-02", "to": "2026-03-01"},
        {"from": "2026-03-01", "to": "2026-03-02", "group_by": "color"},
    ):
        with pytest.raises(ValidationError):
            reports.services(session, bad)
