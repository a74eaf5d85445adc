"""Alembic environment of the clients service (see proofsheet_shared.alembic_env)."""
from clients.models import Base
from proofsheet_shared.alembic_env import run_migrations

run_migrations(Base.metadata, "clients")
