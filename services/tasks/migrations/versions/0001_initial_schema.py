"""Initial schema of the tasks service, with two starting task types and their statuses.

Revision ID: 0001
Revises:
Create Date: 2026-11-28

Timestamps are ``DateTime(timezone=True)``: what the models' ``UTCDateTime`` stores.
A task's ``(task_type_id, status_id)`` references ``task_statuses(task_type_id, id)``, so a
task can only ever be in a status of its own type.
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# name, customer service, [(status, closed)]
SEED_TYPES = (
    ("General", False, (("To do", False), ("In progress", False), ("Done", True))),
    ("Customer service", True, (("New", False), ("In progress", False), ("Waiting on client", False),
                                ("Resolved", True))),
)


def upgrade() -> None:
    # messaging (proofsheet_shared.outbox)
    op.create_table(
        "outbox_events",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=128), nullable=False),
        sa.Column("envelope", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outbox_events_created_at", "outbox_events", ["created_at"])
    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )

    op.create_table(
        "task_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_key", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("customer_service", sa.Boolean(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name_key"),
    )
    op.create_table(
        "task_statuses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_type_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_key", sa.String(length=100), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["task_type_id"], ["task_types.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("task_type_id", "name_key", name="uq_task_statuses_type_name"),
        sa.UniqueConstraint("task_type_id", "id", name="uq_task_statuses_type_id"),
    )
    op.create_index("ix_task_statuses_order", "task_statuses", ["task_type_id", "sort_order", "id"])

    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("task_type_id", sa.Integer(), nullable=False),
        sa.Column("status_id", sa.Integer(), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("sort_due", sa.Date(), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["task_type_id"], ["task_types.id"], name="fk_tasks_type"),
        sa.ForeignKeyConstraint(
            ["task_type_id", "status_id"],
            ["task_statuses.task_type_id", "task_statuses.id"],
            name="fk_tasks_status_of_type",
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_tasks_assignee_open", "tasks", ["assignee_id", "is_open", "sort_due", "id"])
    op.create_index("ix_tasks_open", "tasks", ["is_open", "sort_due", "id"])
    op.create_index("ix_tasks_sort", "tasks", ["sort_due", "id"])
    op.create_index("ix_tasks_type", "tasks", ["task_type_id", "sort_due", "id"])
    op.create_index("ix_tasks_status", "tasks", ["status_id", "sort_due", "id"])
    # partial: the many tasks without a link (or a dedupe key) are not in these indexes
    for name, columns, unique in (("ix_tasks_client", ["client_id", "is_open"], False),
                                  ("ix_tasks_session", ["session_id", "is_open"], False),
                                  ("ix_tasks_invoice", ["invoice_id", "is_open"], False),
                                  ("uq_tasks_dedupe_key", ["dedupe_key"], True)):
        where = sa.text(f"{columns[0]} IS NOT NULL")
        op.create_index(name, "tasks", columns, unique=unique, postgresql_where=where, sqlite_where=where)

    op.create_table(
        "task_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("from_value", sa.Integer(), nullable=True),
        sa.Column("to_value", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_task_history_task", "task_history", ["task_id", "id"])

    _seed()


def _seed():
    types = sa.table(
        "task_types",
        sa.column("id", sa.Integer()),
        sa.column("name", sa.String()),
        sa.column("name_key", sa.String()),
        sa.column("customer_service", sa.Boolean()),
        sa.column("sort_order", sa.Integer()),
        sa.column("active", sa.Boolean()),
    )
    statuses = sa.table(
        "task_statuses",
        sa.column("task_type_id", sa.Integer()),
        sa.column("name", sa.String()),
        sa.column("name_key", sa.String()),
        sa.column("sort_order", sa.Integer()),
        sa.column("closed", sa.Boolean()),
    )
    op.bulk_insert(
        types,
        [
            {"id": index + 1, "name": name, "name_key": name.lower(), "customer_service": cs,
             "sort_order": 10 * (index + 1), "active": True}
            for index, (name, cs, _statuses) in enumerate(SEED_TYPES)
        ],
    )
    op.bulk_insert(
        statuses,
        [
            {"task_type_id": type_index + 1, "name": name, "name_key": name.lower(),
             "sort_order": 10 * (index + 1), "closed": closed}
            for type_index, (_name, _cs, seeded) in enumerate(SEED_TYPES)
            for index, (name, closed) in enumerate(seeded)
        ],
    )
    if op.get_context().dialect.name == "postgresql":
        # ids given explicitly: move the sequence past them
        op.execute("SELECT setval(pg_get_serial_sequence('task_types', 'id'), "
                   "(SELECT max(id) FROM task_types))")


def downgrade() -> None:
    for name in ("task_history", "tasks", "task_statuses", "task_types", "processed_events", "outbox_events"):
        op.drop_table(name)
