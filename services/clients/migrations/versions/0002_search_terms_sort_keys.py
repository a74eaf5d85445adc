"""Search terms carry their client's sort keys; a covering index picks a page from terms alone.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("client_search_terms") as batch_op:
        batch_op.add_column(sa.Column("last_key", sa.String(length=100), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("first_key", sa.String(length=100), nullable=False, server_default=""))
    op.execute("UPDATE client_search_terms SET last_key = clients.last_key, first_key = clients.first_key "
               "FROM clients WHERE clients.id = client_search_terms.client_id")
    with op.batch_alter_table("client_search_terms") as batch_op:
        batch_op.alter_column("last_key", server_default=None)
        batch_op.alter_column("first_key", server_default=None)
        batch_op.create_index("ix_client_search_terms_match", ["term"], unique=False,
                              postgresql_include=["client_id", "last_key", "first_key"])


def downgrade() -> None:
    with op.batch_alter_table("client_search_terms") as batch_op:
        batch_op.drop_index("ix_client_search_terms_match")
        batch_op.drop_column("first_key")
        batch_op.drop_column("last_key")
