"""The migrations build exactly the schema of the models, on SQLite and on PostgreSQL, seed the
settings row and the default methods, and make status notes immutable."""

import pytest
import sqlalchemy as sa

from payments.models import Base
from proofsheet_shared import testing


def test_sqlite_migrations_match_the_models(alembic_ini, tmp_path):
    url = f"sqlite:///{tmp_path / 'payments.db'}"
    assert testing.compare_migrations_to_models(alembic_ini, Base.metadata, url) == []


def test_postgres_migrations_match_the_models_seed_and_guard_notes(alembic_ini):
    with testing.temporary_postgres_database("payments_migrations") as url:
        assert testing.compare_migrations_to_models(alembic_ini, Base.metadata, url) == []
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            assert conn.execute(
                sa.text("SELECT id, next_payment_number, require_credentials FROM payment_settings")
            ).all() == [(1, 1, False)]
            assert conn.execute(
                sa.text("SELECT name, type FROM payment_methods ORDER BY sort_order")
            ).all() == [("Cash", "cash"), ("Check", "check"), ("Credit card", "card"), ("Other", "other")]
            conn.execute(
                sa.text(
                    "INSERT INTO payments (id, payment_number, kind, status, client_id, payment_date, "
                    "amount, currency, method_id, method_type, processor, refundable, future, version, "
                    "created_at, updated_at) VALUES (1, '1', 'payment', 'recorded', 1, '2026-01-01', 100, "
                    "'usd', 1, 'cash', 'manual', false, false, 1, now(), now())"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO payment_notes (payment_id, at, action, changes, message) "
                    "VALUES (1, now(), 'created', '[]', 'made')"
                )
            )
        for statement in (
            "UPDATE payment_notes SET message = 'x'",
            "DELETE FROM payment_notes",
            "TRUNCATE payment_notes",
        ):
            with pytest.raises(sa.exc.DBAPIError, match="cannot be changed or deleted"):
                with engine.begin() as conn:
                    conn.execute(sa.text(statement))
        engine.dispose()


def test_downgrade_and_upgrade_again(alembic_ini):
    with testing.temporary_postgres_database("payments_roundtrip") as url:
        testing.upgrade(alembic_ini, url)
        testing.downgrade(alembic_ini, url, "base")
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        assert set(sa.inspect(engine).get_table_names()) == {"alembic_version"}
        engine.dispose()
        assert testing.compare_migrations_to_models(alembic_ini, Base.metadata, url) == []
