"""Tests of the communications service.

    .venv/bin/pytest services/communications/tests              # everything
    .venv/bin/pytest services/communications/tests/unit         # no broker, no PostgreSQL

The integration tests need RabbitMQ (with its management API) and PostgreSQL, as the other
services' do. Eventlet: the repository's root conftest.py monkey-patches the whole process.
"""

from pathlib import Path

import pytest

from proofsheet_shared import errors  # noqa: F401 - nameko's registry must know the domain errors
from proofsheet_shared import testing

SERVICE_DIR = Path(__file__).resolve().parents[1]
ALEMBIC_INI = SERVICE_DIR / "alembic.ini"


@pytest.fixture(scope="session")
def alembic_ini():
    return ALEMBIC_INI


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory, alembic_ini):
    path = tmp_path_factory.mktemp("communications-template") / "communications.db"
    testing.migrated_sqlite_url(alembic_ini, path)
    return path
