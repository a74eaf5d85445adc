"""Initial schema of the clients service, with the studio's starting lists.

Revision ID: 0001
Revises:
Create Date: 2026-11-21

Timestamps are ``DateTime(timezone=True)``: what the models' ``UTCDateTime`` stores.
The search-terms ``term`` column is collated "C" on PostgreSQL so that the prefix range
scan in clients.search compares bytes, as SQLite does by default.
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

LOOKUP_TABLES = (
    "client_statuses",
    "lead_sources",
    "client_groups",
    "organizations",
    "relationships",
    "phone_labels",
)

SEEDS = {
    "phone_labels": ("Home", "Mobile", "Work"),
    "relationships": ("Spouse", "Partner", "Child", "Parent", "Sibling", "Other"),
    "client_statuses": ("Prospect", "Booked", "Client"),
    "lead_sources": ("Referral", "Website", "Walk-in", "Social media"),
}


def _lookup_table(name):
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_key", sa.String(length=100), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name_key"),
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

    # lists and settings
    for name in LOOKUP_TABLES:
        _lookup_table(name)
    op.create_table(
        "client_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_number_prefix", sa.String(length=10), nullable=False),
        sa.Column("next_client_number", sa.BigInteger(), nullable=False),
        sa.Column("auto_capitalize", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )

    # clients
    op.create_table(
        "clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_number", sa.String(length=40), nullable=False),
        sa.Column("salutation", sa.String(length=40), nullable=True),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=True),
        sa.Column("first_key", sa.String(length=100), nullable=False),
        sa.Column("last_key", sa.String(length=100), nullable=False),
        sa.Column("emails", sa.JSON(), nullable=False),
        sa.Column("phones", sa.JSON(), nullable=False),
        sa.Column("address", sa.JSON(), nullable=False),
        sa.Column("status_id", sa.Integer(), nullable=True),
        sa.Column("status_due_date", sa.Date(), nullable=True),
        sa.Column("lead_source_id", sa.Integer(), nullable=True),
        sa.Column("referred_by_id", sa.Integer(), nullable=True),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("group_ids", sa.JSON(), nullable=False),
        sa.Column("birthday", sa.Date(), nullable=True),
        sa.Column("anniversary", sa.Date(), nullable=True),
        sa.Column("contract_date", sa.Date(), nullable=True),
        sa.Column("custom_date_1", sa.Date(), nullable=True),
        sa.Column("custom_date_2", sa.Date(), nullable=True),
        sa.Column("custom_texts", sa.JSON(), nullable=False),
        sa.Column("call_warning", sa.String(length=500), nullable=True),
        sa.Column("saturday_only", sa.Boolean(), nullable=False),
        sa.Column("allow_marketing", sa.Boolean(), nullable=False),
        sa.Column("inactive_date", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("secondary_contact_id", sa.Integer(), nullable=True),
        sa.Column("secondary_first_name", sa.String(length=100), nullable=True),
        sa.Column("secondary_last_name", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["status_id"], ["client_statuses.id"]),
        sa.ForeignKeyConstraint(["lead_source_id"], ["lead_sources.id"]),
        sa.ForeignKeyConstraint(["referred_by_id"], ["clients.id"]),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_number"),
    )
    op.create_index("ix_clients_sort", "clients", ["last_key", "first_key", "id"])
    op.create_index("ix_clients_status", "clients", ["status_id"])
    op.create_index("ix_clients_organization", "clients", ["organization_id"])
    op.create_index("ix_clients_lead_source", "clients", ["lead_source_id"])

    op.create_table(
        "client_group_members",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["group_id"], ["client_groups.id"]),
        sa.PrimaryKeyConstraint("client_id", "group_id"),
    )
    op.create_index("ix_client_group_members_group", "client_group_members", ["group_id", "client_id"])

    op.create_table(
        "client_search_terms",
        sa.Column(
            "term",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=1), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("term", "client_id"),
    )
    op.create_index("ix_client_search_terms_client", "client_search_terms", ["client_id"])

    op.create_table(
        "family_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=True),
        sa.Column("relationship_id", sa.Integer(), nullable=True),
        sa.Column("birthday", sa.Date(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phones", sa.JSON(), nullable=False),
        sa.Column("secondary_contact", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["relationship_id"], ["relationships.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_family_members_client_id", "family_members", ["client_id"])

    _seed()


def _seed():
    settings = sa.table(
        "client_settings",
        sa.column("id", sa.Integer()),
        sa.column("client_number_prefix", sa.String()),
        sa.column("next_client_number", sa.BigInteger()),
        sa.column("auto_capitalize", sa.Boolean()),
    )
    op.bulk_insert(
        settings, [{"id": 1, "client_number_prefix": "", "next_client_number": 1000, "auto_capitalize": True}]
    )
    for table_name, names in SEEDS.items():
        table = sa.table(
            table_name,
            sa.column("name", sa.String()),
            sa.column("name_key", sa.String()),
            sa.column("sort_order", sa.Integer()),
            sa.column("active", sa.Boolean()),
        )
        op.bulk_insert(
            table,
            [
                {"name": name, "name_key": name.lower(), "sort_order": 10 * (index + 1), "active": True}
                for index, name in enumerate(names)
            ],
        )


def downgrade() -> None:
    for name in (
        "family_members",
        "client_search_terms",
        "client_group_members",
        "clients",
        "client_settings",
        *reversed(LOOKUP_TABLES),
        "processed_events",
        "outbox_events",
    ):
        op.drop_table(name)
