"""Tests of the scheduling service.

How to run (from the repository root)::

    .venv/bin/pytest services/scheduling/tests              # everything
    .venv/bin/pytest services/scheduling/tests/unit         # no broker, no PostgreSQL

The integration tests need RabbitMQ (with its management API) and PostgreSQL, exactly as
the tasks service's do. Eventlet: the repository's root conftest.py monkey-patches the
whole pytest process.
"""

from pathlib import Path

import pytest

from proofsheet_shared import errors  # noqa: F401 - nameko's registry must know the domain errors
from proofsheet_shared import testing

SERVICE_DIR = Path(__file__).resolve().parents[1]
ALEMBIC_INI = SERVICE_DIR / "alembic.ini"

# The seeded statuses (migrations/versions/0001), in order, and the seeded types.
STATUSES = (1, 2, 3, 4, 5, 6)
PORTRAIT, CONSULTATION = 1, 2


@pytest.fixture(scope="session")
def alembic_ini():
    return ALEMBIC_INI


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory, alembic_ini):
    """An SQLite file made by the migrations, once per run; tests take copies."""
    path = tmp_path_factory.mktemp("scheduling-template") / "scheduling.db"
    testing.migrated_sqlite_url(alembic_ini, path)
    return path
