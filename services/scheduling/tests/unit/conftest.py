"""Domain tests: the scheduling modules called directly over an SQLite database made by the
migrations, with a FakeDatabase as ``db`` and FixedLinks standing in for the staff, clients
and invoicing services."""

import pytest
from sqlalchemy.orm import sessionmaker

from proofsheet_shared import testing
from proofsheet_shared.db import create_db_engine
from scheduling.links import FixedLinks

STAFF = (5, 6, 7, {"id": 8, "active": False})
CLIENTS = {
    100: {"first_name": "Ada", "last_name": "Lovelace"},
    101: {"last_name": "Weekend", "saturday_only": True},
    102: {"last_name": "Gone", "active": False, "inactive_date": "2020-01-01"},
    103: {"last_name": "Leaving", "inactive_date": "2030-01-01"},
}
NY = "America/New_York"


@pytest.fixture
def engine(sqlite_template, tmp_path):
    url = testing.copy_sqlite_database(sqlite_template, tmp_path / "scheduling.db")
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
    return testing.FakeDatabase(session, source="scheduling")


@pytest.fixture
def links():
    return FixedLinks(staff=STAFF, clients=CLIENTS, credit={100: 5000}, items={11, 12})
