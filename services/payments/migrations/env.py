"""Alembic environment of the payments service (see proofsheet_shared.alembic_env)."""
from payments.models import Base
from proofsheet_shared.alembic_env import run_migrations

run_migrations(Base.metadata, "payments")
