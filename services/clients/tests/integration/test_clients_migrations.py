"""The migrations build exactly the schema of the models, on SQLite and on PostgreSQL."""

import sqlalchemy as sa

from clients.models import Base
from proofsheet_shared import testing


def test_sqlite_migrations_match_the_models(alembic_ini, tmp_path):
    url = f"sqlite:///{tmp_path / 'clients.db'}"
    assert testing.compare_migrations_to_models(alembic_ini, Base.metadata, url) == []


def test_postgres_migrations_match_the_models(alembic_ini):
    with testing.temporary_postgres_database("clients_migrations") as url:
        assert testing.compare_migrations_to_models(alembic_ini, Base.metadata, url) == []
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            collation = conn.scalar(
                sa.text(
                    "SELECT collation_name FROM information_schema.columns "
                    "WHERE table_name = 'client_search_terms' AND column_name = 'term'"
                )
            )
            tz = conn.scalar(
                sa.text(
                    "SELECT data_type FROM information_schema.columns "
                    "WHERE table_name = 'clients' AND column_name = 'created_at'"
                )
            )
        engine.dispose()
        assert collation == "C"
        assert tz == "timestamp with time zone"


def test_the_comparison_notices_drift(alembic_ini):
    """The helper is not vacuous: a changed column, a lost collation and a missing index show."""
    with testing.temporary_postgres_database("clients_drift") as url:
        testing.upgrade(alembic_ini, url)
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.exec_driver_sql(
                'ALTER TABLE client_search_terms ALTER COLUMN term TYPE varchar(255) COLLATE "default"'
            )
            conn.exec_driver_sql("ALTER TABLE clients ALTER COLUMN notes TYPE varchar(20)")
            conn.exec_driver_sql("DROP INDEX ix_clients_sort")
        engine.dispose()
        diffs = testing.compare_schema_to_models(url, Base.metadata)
    kinds = sorted(d[0][0] if isinstance(d, list) else d[0] for d in diffs)
    assert kinds == ["add_index", "modify_collation", "modify_type"]


def test_downgrade_and_upgrade_again(alembic_ini):
    with testing.temporary_postgres_database("clients_roundtrip") as url:
        testing.upgrade(alembic_ini, url)
        testing.downgrade(alembic_ini, url, "base")
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        assert set(sa.inspect(engine).get_table_names()) == {"alembic_version"}
        engine.dispose()
        assert testing.compare_migrations_to_models(alembic_ini, Base.metadata, url) == []
