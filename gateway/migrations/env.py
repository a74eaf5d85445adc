from gateway.models import Base
from proofsheet_shared.alembic_env import run_migrations

run_migrations(Base.metadata, "gateway")
