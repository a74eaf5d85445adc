"""Alembic environment of the tasks service (see proofsheet_shared.alembic_env)."""
from proofsheet_shared.alembic_env import run_migrations
from tasks.models import Base

run_migrations(Base.metadata, "tasks")
