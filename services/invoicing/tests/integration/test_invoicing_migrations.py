"""The migrations build exactly the schema of the models, on SQLite and on PostgreSQL, and
seed the settings row numbering locks."""

import sqlalchemy as sa

from invoicing.models import Base
from proofsheet_shared import testing


def test_sqlite_migrations_match_the_models(alembic_ini, tmp_path):
    url = f"sqlite:///{tmp_path / 'invoicing.db'}"
    assert testing.compare_migrations_to_models(alembic_ini, Base.metadata, url) == []


def test_postgres_migrations_match_the_models_and_seed_settings(alembic_ini):
    with testing.temporary_postgres_database("invoicing_migrations") as url:
        assert testing.compare_migrations_to_models(alembic_ini, Base.metadata, url) == []
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT id, next_invoice_number FROM invoice_settings")).all() == [
                (1, 1000)
            ]
            money_type = conn.scalar(
                sa.text(
                    "SELECT data_type FROM information_schema.columns "
                    "WHERE table_name = 'invoices' AND column_name = 'total'"
                )
            )
        engine.dispose()
        assert money_type == "bigint"


def test_downgrade_and_upgrade_again(alembic_ini):
    with testing.temporary_postgres_database("invoicing_roundtrip") as url:
        testing.upgrade(alembic_ini, url)
        testing.downgrade(alembic_ini, url, "base")
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        assert set(sa.inspect(engine).get_table_names()) == {"alembic_version"}
        engine.dispose()
        assert testing.compare_migrations_to_models(alembic_ini, Base.metadata, url) == []
