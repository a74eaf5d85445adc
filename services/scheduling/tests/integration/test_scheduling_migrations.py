"""The migrations build exactly the schema of the models, on SQLite and on PostgreSQL."""

import sqlalchemy as sa

from proofsheet_shared import testing
from scheduling.models import Base


def test_sqlite_migrations_match_the_models(alembic_ini, tmp_path):
    url = f"sqlite:///{tmp_path / 'scheduling.db'}"
    assert testing.compare_migrations_to_models(alembic_ini, Base.metadata, url) == []


def test_postgres_migrations_match_the_models(alembic_ini):
    with testing.temporary_postgres_database("scheduling_migrations") as url:
        assert testing.compare_migrations_to_models(alembic_ini, Base.metadata, url) == []
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            # the seeded ids were given explicitly: the sequences must be past them
            next_status = conn.execute(
                sa.text(
                    "INSERT INTO session_statuses (name, name_key, sort_order) "
                    "VALUES ('X', 'x', 99) RETURNING id"
                )
            ).scalar()
            next_type = conn.execute(
                sa.text(
                    "INSERT INTO session_types (name, name_key, duration_minutes, "
                    "price_item_ids, sort_order, active) VALUES ('X', 'x', 30, '[]', 0, "
                    "true) RETURNING id"
                )
            ).scalar()
        engine.dispose()
        assert (next_status, next_type) == (7, 3)
