"""Tests of the tasks service.

How to run (from the repository root)::

    .venv/bin/pytest services/tasks/tests              # everything
    .venv/bin/pytest services/tasks/tests/unit         # no broker, no PostgreSQL

The integration tests need RabbitMQ (with its management API) and PostgreSQL, exactly as
the clients service's do (see services/clients/tests/conftest.py).

Eventlet: the repository's root conftest.py monkey-patches the whole pytest process.
"""

import datetime as dt
import types
from pathlib import Path

import pytest

from proofsheet_shared import errors  # noqa: F401 - nameko's registry must know the domain errors
from proofsheet_shared import testing

SERVICE_DIR = Path(__file__).resolve().parents[1]
ALEMBIC_INI = SERVICE_DIR / "alembic.ini"
TODAY = dt.date(2026, 6, 15)

# The seeded types (migrations/versions/0001) and their statuses, in order.
SEED = types.SimpleNamespace(
    general=1,
    customer_service=2,
    todo=1,
    in_progress=2,
    done=3,
    cs_new=4,
    cs_in_progress=5,
    cs_waiting=6,
    cs_resolved=7,
)


@pytest.fixture(scope="session")
def alembic_ini():
    return ALEMBIC_INI


@pytest.fixture(scope="session")
def today():
    return TODAY


@pytest.fixture(scope="session")
def seed():
    """Ids of the seeded types and statuses: General (To do, In progress, Done) and
    Customer service (New, In progress, Waiting on client, Resolved)."""
    return SEED


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory, alembic_ini):
    """An SQLite file made by the migrations, once per run; tests take copies."""
    path = tmp_path_factory.mktemp("tasks-template") / "tasks.db"
    testing.migrated_sqlite_url(alembic_ini, path)
    return path
