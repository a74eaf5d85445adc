"""Alembic environment of the communications service (see proofsheet_shared.alembic_env)."""

from communications.models import Base
from proofsheet_shared.alembic_env import run_migrations

run_migrations(Base.metadata, "communications")
