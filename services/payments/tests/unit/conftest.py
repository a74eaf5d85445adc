"""Domain tests: the payments modules called directly over an SQLite database made by the
migrations (settings row and default methods there), with a FakeDatabase as ``db`` and a
stand-in for what invoicing and clients answer."""

import pytest
from sqlalchemy.orm import sessionmaker

from payments.records import Actor
from proofsheet_shared import testing
from proofsheet_shared.db import create_db_engine
from proofsheet_shared.errors import NotFound

CLIENTS = {
    1: {
        "id": 1,
        "client_number": "1000",
        "salutation": "Ms.",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "address": {"line1": "12 Analytical Way", "city": "London", "postal_code": "EC1A 1AA"},
    },
    2: {"id": 2, "client_number": "1001", "first_name": "Charles", "last_name": "Babbage", "address": {}},
}


def invoice(invoice_id, client_id, total, paid=0, credited=0, status="open", currency="usd"):
    return {
        "invoice_id": invoice_id,
        "invoice_number": f"INV-{invoice_id}",
        "client_id": client_id,
        "status": status,
        "currency": currency,
        "total": total,
        "paid": paid,
        "credited": credited,
        "balance": total - paid - credited,
    }


class FakeUpstream:
    """What invoicing and clients answer: invoices 10 (client 1, 100.00) and 11 (client 2,
    50.00), a void invoice 12, credit memos 20 (client 1, on account, 30.00) and 21 (client 1,
    against invoice 10, 10.00, of which 4.00 may go back)."""

    def __init__(self):
        self.invoices = {
            10: invoice(10, 1, 10000),
            11: invoice(11, 2, 5000),
            12: invoice(12, 1, 700, status="void"),
        }
        self.memos = {
            20: {
                "credit_memo_id": 20,
                "client_id": 1,
                "invoice_id": None,
                "currency": "usd",
                "total": 3000,
                "refunded": 0,
                "remaining": 3000,
            },
            21: {
                "credit_memo_id": 21,
                "client_id": 1,
                "invoice_id": 10,
                "currency": "usd",
                "total": 1000,
                "refunded": 0,
                "remaining": 400,
            },
        }
        self.known_clients = dict(CLIENTS)
        self.deposits = {}
        self.calls = []

    def invoice_balance(self, invoice_id):
        self.calls.append(("invoice_balance", invoice_id))
        if invoice_id not in self.invoices:
            raise NotFound(f"invoice {invoice_id} does not exist", {"invoice_id": "not found"})
        return dict(self.invoices[invoice_id])

    def credit_memo_refundable(self, memo_id):
        self.calls.append(("credit_memo_refundable", memo_id))
        if memo_id not in self.memos:
            raise NotFound(f"credit memo {memo_id} does not exist", {"credit_memo_id": "not found"})
        return dict(self.memos[memo_id])

    def client(self, client_id):
        self.calls.append(("client", client_id))
        if client_id not in self.known_clients:
            raise NotFound(f"client {client_id} does not exist", {"id": "not found"})
        return self.known_clients[client_id]

    def clients(self, client_ids):
        self.calls.append(("clients", tuple(client_ids)))
        return [self.known_clients[i] for i in client_ids if i in self.known_clients]

    def unapplied_deposits_soon(self, client_id):
        return lambda: list(self.deposits.get(client_id, []))


@pytest.fixture
def engine(sqlite_template, tmp_path):
    url = testing.copy_sqlite_database(sqlite_template, tmp_path / "payments.db")
    engine = create_db_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine):
    session = sessionmaker(bind=engine, expire_on_commit=False)()
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def db(session):
    return testing.FakeDatabase(session, source="payments")


@pytest.fixture
def upstream():
    return FakeUpstream()


@pytest.fixture
def actor(today):
    return Actor(user_id=7, request_id="req-1", today=today, currency="usd")
