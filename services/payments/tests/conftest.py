"""Tests of the payments service.

How to run (from the repository root)::

    .venv/bin/pytest services/payments/tests              # everything
    .venv/bin/pytest services/payments/tests/unit         # no broker, no PostgreSQL

The integration tests need RabbitMQ on localhost:5672 (guest/guest) with its management API
on :15672 (nameko's ``rabbit_config`` fixture makes a throwaway vhost per test) and PostgreSQL
on localhost:5432 where user ``postgres`` may create databases (or ``TEST_POSTGRES_URL``).
Every integration test gets a database of its own, cloned from one migrated template.

Eventlet: the repository's root conftest.py monkey-patches the whole pytest process.
"""

import datetime as dt
from pathlib import Path

import pytest

from proofsheet_shared import testing
from proofsheet_shared import errors  # noqa: F401 - nameko's registry must know the domain errors

SERVICE_DIR = Path(__file__).resolve().parents[1]
ALEMBIC_INI = SERVICE_DIR / "alembic.ini"
TODAY = dt.date(2026, 6, 15)
CASH, CHECK, CARD, OTHER = 1, 2, 3, 4  # the methods the migration seeds


@pytest.fixture(scope="session")
def alembic_ini():
    return ALEMBIC_INI


@pytest.fixture(scope="session")
def today():
    return TODAY


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory, alembic_ini):
    """An SQLite file made by the migrations, once per run; tests take copies."""
    path = tmp_path_factory.mktemp("payments-template") / "payments.db"
    testing.migrated_sqlite_url(alembic_ini, path)
    return path
