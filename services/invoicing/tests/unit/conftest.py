"""Domain tests: the invoicing modules called directly over an SQLite database made by the
migrations (so the settings row is there), with a FakeDatabase as ``db``."""

import pytest
from sqlalchemy.orm import sessionmaker

from proofsheet_shared import testing
from proofsheet_shared.db import create_db_engine


@pytest.fixture
def engine(sqlite_template, tmp_path):
    url = testing.copy_sqlite_database(sqlite_template, tmp_path / "invoicing.db")
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
    return testing.FakeDatabase(session, source="invoicing")


CLIENTS = {
    1: {
        "id": 1,
        "client_number": "1000",
        "salutation": "Ms.",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "address": {
            "line1": "12 Analytical Way",
            "line2": None,
            "city": "London",
            "region": None,
            "postal_code": "EC1A 1AA",
            "country": "UK",
        },
    },
    2: {
        "id": 2,
        "client_number": "1001",
        "salutation": None,
        "first_name": "Charles",
        "last_name": "Babbage",
        "address": {
            "line1": None,
            "line2": None,
            "city": None,
            "region": None,
            "postal_code": None,
            "country": None,
        },
    },
    3: {
        "id": 3,
        "client_number": "1002",
        "salutation": None,
        "first_name": "Grace",
        "last_name": "Hopper",
        "address": {},
    },
}


class FakeClients:
    """Stands in for ``clients.get_client``: the client, or NotFound naming the field."""

    def __init__(self, known=None):
        self.known = dict(CLIENTS if known is None else known)
        self.calls = []

    def __call__(self, client_id, field="client_id"):
        from proofsheet_shared.errors import NotFound

        self.calls.append(client_id)
        if client_id not in self.known:
            raise NotFound(f"client {client_id} does not exist", {field: "not found"})
        return self.known[client_id]


@pytest.fixture
def clients():
    return FakeClients()


@pytest.fixture
def shop(session):
    """A tax rate (8.25 %, the default), a price list with a group and three items."""
    from invoicing import catalog

    rate = catalog.create_tax_rate(session, {"name": "State tax", "rate_basis_points": 825})
    catalog.update_settings(session, {"default_tax_rate_id": rate["id"], "invoice_number_prefix": "INV-"})
    price_list = catalog.create_price_list(session, {"name": "2026"})
    group = catalog.create_group(session, price_list["id"], {"name": "Portraits"})
    items = {}
    for code, name, price, taxable in (
        ("SIT", "Session fee", 15000, False),
        ("8X10", "8x10 print", 2499, True),
        ("ALBUM", "Album", 19999, True),
    ):
        items[code] = catalog.create_item(
            session,
            {
                "price_list_id": price_list["id"],
                "group_id": group["id"],
                "code": code,
                "name": name,
                "price": price,
                "taxable": taxable,
            },
        )
    return {"rate": rate, "price_list": price_list, "group": group, "items": items}
