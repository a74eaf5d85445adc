"""Alembic environment of the scheduling service (see proofsheet_shared.alembic_env)."""

from proofsheet_shared.alembic_env import run_migrations
from scheduling.models import Base

run_migrations(Base.metadata, "scheduling")
