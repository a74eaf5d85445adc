"""Domain tests over an SQLite database made by the migrations."""

import pytest
from sqlalchemy.orm import sessionmaker

from proofsheet_shared import testing
from proofsheet_shared.db import create_db_engine


@pytest.fixture
def engine(sqlite_template, tmp_path):
    url = testing.copy_sqlite_database(sqlite_template, tmp_path / "communications.db")
    engine = create_db_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine):
    session = sessionmaker(bind=engine, expire_on_commit=False)()
    yield session
    session.rollback()
    session.close()
