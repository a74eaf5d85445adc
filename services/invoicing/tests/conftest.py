"""Tests of the invoicing service.

How to run (from the repository root)::

    .venv/bin/pytest services/invoicing/tests              # everything
    .venv/bin/pytest services/invoicing/tests/unit         # no broker, no PostgreSQL

What the integration tests need:

- RabbitMQ on localhost:5672 (guest/guest) with its management API on :15672, which
  nameko's ``rabbit_config`` fixture uses to make a throwaway vhost per test
  (``rabbitmq-plugins enable rabbitmq_management``). Other brokers:
  ``--amqp-uri amqp://user:pass@host:5672/ --rabbit-api-uri http://user:pass@host:15672``.
- PostgreSQL on localhost:5432 where user ``postgres`` may create databases (trust auth),
  or ``TEST_POSTGRES_URL=postgresql+psycopg2://user:pass@host:5432/postgres``. Every test
  gets a database of its own, cloned from one migrated template, dropped afterwards.

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


@pytest.fixture(scope="session")
def alembic_ini():
    return ALEMBIC_INI


@pytest.fixture(scope="session")
def today():
    return TODAY


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory, alembic_ini):
    """An SQLite file made by the migrations, once per run; tests take copies."""
    path = tmp_path_factory.mktemp("invoicing-template") / "invoicing.db"
    testing.migrated_sqlite_url(alembic_ini, path)
    return path
