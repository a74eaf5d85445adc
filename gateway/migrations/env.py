"""Alembic environment of the gateway deployable (see proofsheet_shared.alembic_env)."""
from gateway.models import Base
from proofsheet_shared.alembic_env import run_migrations

run_migrations(Base.metadata, "gateway")
