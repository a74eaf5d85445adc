"""Sessions: status changes as HOT updates.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21

A bulk status advance rewrote every index of ``sessions`` for each row it moved (the row's
new version landed on another page, and ``status_id`` was indexed). Without the status index
and with 20 % of each page left free (PostgreSQL ``fillfactor``), the new version stays on
its page and no index changes: advancing 10,000 sessions costs a fraction of what it did.
"""

from typing import Sequence, Union

from alembic import op

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_sessions_status")
    if op.get_context().dialect.name == "postgresql":
        op.execute("ALTER TABLE sessions SET (fillfactor = 80)")


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("ALTER TABLE sessions RESET (fillfactor)")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index("ix_sessions_status", ["status_id"], unique=False)
