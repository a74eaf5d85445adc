"""The dialect-sensitive domain paths (aggregates with CASE over dates, UNION ALL balances,
row locks) run on PostgreSQL as they do on SQLite."""

import datetime as dt

import pytest
from sqlalchemy.orm import sessionmaker

from invoicing import invoices, ledger, reports
from proofsheet_shared import testing
from proofsheet_shared.db import create_db_engine
from proofsheet_shared.errors import NotFound

TODAY = dt.date(2026, 6, 15)


def lookup(client_id, field="client_id"):
    if client_id > 10:
        raise NotFound("no", {field: "not found"})
    return {"id": client_id}


@pytest.fixture
def pg_db(pg_url):
    engine = create_db_engine(pg_url)
    session = sessionmaker(bind=engine, expire_on_commit=False)()
    yield testing.FakeDatabase(session, source="invoicing")
    session.rollback()
    session.close()
    engine.dispose()


def test_reports_and_balances_on_postgres(pg_db):
    def make(client_id, amount, due):
        return invoices.create_invoice(
            pg_db,
            {
                "client_id": client_id,
                "invoice_date": "2026-01-01",
                "due_date": due,
                "lines": [{"description": "w", "unit_price": amount}],
            },
            1,
            TODAY,
            "usd",
            lookup,
        )

    make(1, 1000, "2026-06-20")
    make(1, 2000, "2026-05-01")
    late = make(2, 3000, "2026-01-15")
    ledger.apply_payment_event(
        pg_db,
        "payment_recorded",
        {"payment": {"id": 1, "client_id": 2, "invoice_id": late["id"], "amount": 500}},
    )
    ledger.apply_payment_event(
        pg_db, "payment_recorded", {"payment": {"id": 2, "client_id": 1, "amount": 300}}
    )
    aging = reports.aging(pg_db.session, {}, TODAY)
    assert [
        (r["client_id"], r["current"], r["days_31_60"], r["days_90_plus"], r["total"]) for r in aging["items"]
    ] == [(1, 1000, 2000, 0, 3000), (2, 0, 0, 2500, 2500)]
    assert reports.balances(pg_db.session)["items"] == [
        {"client_id": 1, "balance": 2700},
        {"client_id": 2, "balance": 2500},
    ]
    services = reports.services(pg_db.session, {"from": "2026-01-01", "to": "2026-01-31"})
    assert sum(r["paid"] for r in services["items"]) == 500
    assert ledger.client_balance(pg_db.session, 1)["unapplied_deposits"] == 300
