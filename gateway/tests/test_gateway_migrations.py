"""The gateway's migrations build exactly its models' schema, on SQLite and PostgreSQL."""
from pathlib import Path

from gateway.models import Base
from proofsheet_shared import testing

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"


def test_sqlite_migrations_match_the_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    assert testing.compare_migrations_to_models(ALEMBIC_INI, Base.metadata, url) == []


def test_postgres_migrations_match_the_models():
    with testing.temporary_postgres_database("gateway_migrations") as url:
        assert testing.compare_migrations_to_models(ALEMBIC_INI, Base.metadata, url) == []
