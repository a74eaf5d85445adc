"""Tests of the clients service.

How to run (from the repository root)::

    .venv/bin/pytest services/clients/tests              # everything
    .venv/bin/pytest services/clients/tests/unit         # no broker, no PostgreSQL

What the integration tests need:

- RabbitMQ on localhost:5672 (guest/guest) with its management API on :15672, which
  nameko's ``rabbit_config`` fixture uses to make a throwaway vhost per test
  (``rabbitmq-plugins enable rabbitmq_management``). Other brokers:
  ``--amqp-uri amqp://user:pass@host:5672/ --rabbit-api-uri http://user:pass@host:15672``.
- PostgreSQL on localhost:5432 where user ``postgres`` may create databases (trust auth),
  or ``TEST_POSTGRES_URL=postgresql+psycopg2://user:pass@host:5432/postgres``. Every test
  gets a database of its own, cloned from one migrated template, dropped afterwards.

Eventlet: nameko 2.14's pytest plugin (registered by nameko as a ``pytest11`` entry point,
so there is no need for ``-p nameko.testing.pytest``) gives the ``rabbit_config`` and
``container_factory`` fixtures but no longer monkey-patches. nameko wants ``nameko test``
or the pytest-eventlet plugin; instead this conftest patches, which must happen before
anything else creates sockets or threads. pytest imports a conftest.py of every directory
on the way to the test paths given on the command line before it collects anything, so
this works for ``pytest services/clients/tests[/...]``. If the clients tests are collected
together with other suites, this patch applies to the whole pytest process.
"""

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")  # nameko 2.14 needs it

import eventlet  # noqa: E402

eventlet.monkey_patch()  # must precede the imports below

import datetime as dt  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from proofsheet_shared import testing  # noqa: E402
from proofsheet_shared import errors  # noqa: E402,F401 - nameko's registry must know the domain errors

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
    path = tmp_path_factory.mktemp("clients-template") / "clients.db"
    testing.migrated_sqlite_url(alembic_ini, path)
    return path
