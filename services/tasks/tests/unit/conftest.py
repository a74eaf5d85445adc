"""Domain tests: the tasks modules called directly over an SQLite database made by the
migrations (so the seeded types and statuses are there), with a FakeDatabase as ``db`` and
fixed staff and client ids standing in for the staff and clients services."""

import pytest
from sqlalchemy.orm import sessionmaker

from proofsheet_shared import testing
from proofsheet_shared.db import create_db_engine
from tasks.links import FixedLinks

STAFF = (5, 6, 7)
CLIENTS = (100, 101)


@pytest.fixture
def engine(sqlite_template, tmp_path):
    url = testing.copy_sqlite_database(sqlite_template, tmp_path / "tasks.db")
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
    return testing.FakeDatabase(session, source="tasks")


@pytest.fixture
def links():
    return FixedLinks(staff_ids=STAFF, client_ids=CLIENTS)
