"""Alembic environment of the invoicing service (see proofsheet_shared.alembic_env)."""
from invoicing.models import Base
from proofsheet_shared.alembic_env import run_migrations

run_migrations(Base.metadata, "invoicing")
