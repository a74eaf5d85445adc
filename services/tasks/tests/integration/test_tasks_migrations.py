"""The migrations build exactly the schema of the models, on SQLite and on PostgreSQL."""

import sqlalchemy as sa

from proofsheet_shared import testing
from tasks.models import Base


def test_sqlite_migrations_match_the_models(alembic_ini, tmp_path):
    url = f"sqlite:///{tmp_path / 'tasks.db'}"
    assert testing.compare_migrations_to_models(alembic_ini, Base.metadata, url) == []


def test_postgres_migrations_match_the_models(alembic_ini):
    with testing.temporary_postgres_database("tasks_migrations") as url:
        assert testing.compare_migrations_to_models(alembic_ini, Base.metadata, url) == []
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            tz = conn.scalar(
                sa.text(
                    "SELECT data_type FROM information_schema.columns "
                    "WHERE table_name = 'task_history' AND column_name = 'at'"
                )
            )
            # the seeded types' ids were given explicitly: the sequence must be past them
            next_id = conn.execute(
                sa.text(
                    "INSERT INTO task_types (name, name_key, customer_service, "
                    "sort_order, active) VALUES ('X', 'x', false, 0, true) "
                    "RETURNING id"
                )
            ).scalar()
        engine.dispose()
        assert tz == "timestamp with time zone"
        assert next_id == 3


def test_link_indexes_are_partial(alembic_ini):
    """The comparison does not look at index predicates: check them here."""
    with testing.temporary_postgres_database("tasks_partial") as url:
        testing.upgrade(alembic_ini, url)
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            found = dict(
                conn.execute(
                    sa.text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'tasks'")
                ).all()
            )
        engine.dispose()
    for name, column in (
        ("ix_tasks_client", "client_id"),
        ("ix_tasks_session", "session_id"),
        ("ix_tasks_invoice", "invoice_id"),
        ("uq_tasks_dedupe_key", "dedupe_key"),
    ):
        assert found[name].endswith(f"WHERE ({column} IS NOT NULL)"), found[name]
    assert found["uq_tasks_dedupe_key"].startswith("CREATE UNIQUE INDEX")


def test_the_database_refuses_a_status_of_another_type(alembic_ini):
    """The composite foreign key holds even for writes that bypass the service's checks."""
    with testing.temporary_postgres_database("tasks_fk") as url:
        testing.upgrade(alembic_ini, url)
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        insert = (
            "INSERT INTO tasks (title, task_type_id, status_id, priority, sort_due, is_open, created_at, "
            "updated_at) VALUES ('t', 1, :status, 'normal', '9999-12-31', true, now(), now())"
        )
        with engine.begin() as conn:
            conn.execute(sa.text(insert), {"status": 1})  # To do, of General: fine
        try:
            with engine.begin() as conn:
                conn.execute(sa.text(insert), {"status": 4})  # New, of Customer service
            refused = False
        except sa.exc.IntegrityError:
            refused = True
        engine.dispose()
        assert refused


def test_downgrade_and_upgrade_again(alembic_ini):
    with testing.temporary_postgres_database("tasks_roundtrip") as url:
        testing.upgrade(alembic_ini, url)
        testing.downgrade(alembic_ini, url, "base")
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        assert set(sa.inspect(engine).get_table_names()) == {"alembic_version"}
        engine.dispose()
        assert testing.compare_migrations_to_models(alembic_ini, Base.metadata, url) == []
