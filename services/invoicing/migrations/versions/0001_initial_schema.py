"""Initial schema of the invoicing service, with its settings row.

Revision ID: 0001
Revises:
Create Date: 2026-11-21

Timestamps are ``DateTime(timezone=True)``: what the models' ``UTCDateTime`` stores. Money
columns are BIGINT cents. The settings row (id 1) exists from the start: invoice numbering
locks it with ``UPDATE ... RETURNING``.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('outbox_events',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('event_type', sa.String(length=128), nullable=False),
    sa.Column('envelope', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_events_created_at'), ['created_at'], unique=False)

    op.create_table('payment_records',
    sa.Column('payment_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.Column('credit_memo_id', sa.Integer(), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('applied', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=True),
    sa.Column('counted', sa.Boolean(), nullable=False),
    sa.Column('voided', sa.Boolean(), nullable=False),
    sa.Column('future', sa.Boolean(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=True),
    sa.Column('payment_date', sa.Date(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('payment_id')
    )
    with op.batch_alter_table('payment_records', schema=None) as batch_op:
        batch_op.create_index('ix_payment_records_client', ['client_id'], unique=False)
        batch_op.create_index('ix_payment_records_credit_memo', ['credit_memo_id'], unique=False)
        batch_op.create_index('ix_payment_records_invoice', ['invoice_id'], unique=False)

    op.create_table('price_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_key', sa.String(length=100), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name_key')
    )
    op.create_table('processed_events',
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('event_id')
    )
    op.create_table('tax_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_key', sa.String(length=100), nullable=False),
    sa.Column('rate_basis_points', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name_key')
    )
    op.create_table('invoice_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_number_prefix', sa.String(length=10), nullable=False),
    sa.Column('next_invoice_number', sa.BigInteger(), nullable=False),
    sa.Column('default_tax_rate_id', sa.Integer(), nullable=True),
    sa.Column('default_due_days', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['default_tax_rate_id'], ['tax_rates.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('price_list_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('price_list_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_key', sa.String(length=100), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['price_list_id'], ['price_lists.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('price_list_id', 'name_key', name='uq_price_list_groups_name')
    )
    op.create_table('price_list_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('price_list_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('code_key', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('price', sa.BigInteger(), nullable=False),
    sa.Column('taxable', sa.Boolean(), nullable=False),
    sa.Column('item_type', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('coupon_code', sa.String(length=40), nullable=True),
    sa.Column('percent_off', sa.Integer(), nullable=True),
    sa.Column('amount_off', sa.BigInteger(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('max_uses', sa.Integer(), nullable=True),
    sa.Column('min_subtotal', sa.BigInteger(), nullable=False),
    sa.Column('uses', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['price_list_groups.id'], ),
    sa.ForeignKeyConstraint(['price_list_id'], ['price_lists.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('coupon_code'),
    sa.UniqueConstraint('price_list_id', 'code_key', name='uq_price_list_items_code')
    )
    with op.batch_alter_table('price_list_items', schema=None) as batch_op:
        batch_op.create_index('ix_price_list_items_group', ['group_id'], unique=False)

    op.create_table('invoices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_number', sa.String(length=40), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('session_type_id', sa.Integer(), nullable=True),
    sa.Column('invoice_date', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('tax_rate_id', sa.Integer(), nullable=True),
    sa.Column('tax_rate_basis_points', sa.Integer(), nullable=False),
    sa.Column('coupon_item_id', sa.Integer(), nullable=True),
    sa.Column('coupon_code', sa.String(length=40), nullable=True),
    sa.Column('subtotal', sa.BigInteger(), nullable=False),
    sa.Column('discount', sa.BigInteger(), nullable=False),
    sa.Column('tax', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('paid', sa.BigInteger(), nullable=False),
    sa.Column('refunded', sa.BigInteger(), nullable=False),
    sa.Column('credited', sa.BigInteger(), nullable=False),
    sa.Column('balance', sa.BigInteger(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['coupon_item_id'], ['price_list_items.id'], ),
    sa.ForeignKeyConstraint(['tax_rate_id'], ['tax_rates.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('invoice_number')
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index('ix_invoices_client', ['client_id', 'id'], unique=False)
        batch_op.create_index('ix_invoices_date', ['invoice_date'], unique=False)
        batch_op.create_index('ix_invoices_session', ['session_id'], unique=False)
        batch_op.create_index('ix_invoices_status_due', ['status', 'due_date'], unique=False)

    op.create_table('credit_memos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.Column('memo_date', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('tax_rate_id', sa.Integer(), nullable=True),
    sa.Column('tax_rate_basis_points', sa.Integer(), nullable=False),
    sa.Column('subtotal', sa.BigInteger(), nullable=False),
    sa.Column('tax', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('refunded', sa.BigInteger(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], ),
    sa.ForeignKeyConstraint(['tax_rate_id'], ['tax_rates.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('credit_memos', schema=None) as batch_op:
        batch_op.create_index('ix_credit_memos_client', ['client_id', 'id'], unique=False)
        batch_op.create_index('ix_credit_memos_invoice', ['invoice_id'], unique=False)

    op.create_table('deposit_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.BigInteger(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], ),
    sa.ForeignKeyConstraint(['payment_id'], ['payment_records.payment_id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('deposit_applications', schema=None) as batch_op:
        batch_op.create_index('ix_deposit_applications_invoice', ['invoice_id'], unique=False)
        batch_op.create_index('ix_deposit_applications_payment', ['payment_id'], unique=False)

    op.create_table('invoice_lines',
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.BigInteger(), nullable=False),
    sa.Column('taxable', sa.Boolean(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('discount', sa.BigInteger(), nullable=False),
    sa.Column('tax', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['price_list_items.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('invoice_id', 'position', name='uq_invoice_lines_position')
    )
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.create_index('ix_invoice_lines_item', ['item_id'], unique=False)

    op.create_table('credit_memo_lines',
    sa.Column('credit_memo_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.BigInteger(), nullable=False),
    sa.Column('taxable', sa.Boolean(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('discount', sa.BigInteger(), nullable=False),
    sa.Column('tax', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['credit_memo_id'], ['credit_memos.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['price_list_items.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('credit_memo_id', 'position', name='uq_credit_memo_lines_position')
    )

    settings = sa.table("invoice_settings", sa.column("id", sa.Integer),
                        sa.column("invoice_number_prefix", sa.String),
                        sa.column("next_invoice_number", sa.BigInteger),
                        sa.column("default_due_days", sa.Integer))
    op.bulk_insert(settings, [{"id": 1, "invoice_number_prefix": "", "next_invoice_number": 1000,
                               "default_due_days": 30}])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('credit_memo_lines')
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_invoice_lines_item')

    op.drop_table('invoice_lines')
    with op.batch_alter_table('deposit_applications', schema=None) as batch_op:
        batch_op.drop_index('ix_deposit_applications_payment')
        batch_op.drop_index('ix_deposit_applications_invoice')

    op.drop_table('deposit_applications')
    with op.batch_alter_table('credit_memos', schema=None) as batch_op:
        batch_op.drop_index('ix_credit_memos_invoice')
        batch_op.drop_index('ix_credit_memos_client')

    op.drop_table('credit_memos')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_invoices_status_due')
        batch_op.drop_index('ix_invoices_session')
        batch_op.drop_index('ix_invoices_date')
        batch_op.drop_index('ix_invoices_client')

    op.drop_table('invoices')
    with op.batch_alter_table('price_list_items', schema=None) as batch_op:
        batch_op.drop_index('ix_price_list_items_group')

    op.drop_table('price_list_items')
    op.drop_table('price_list_groups')
    op.drop_table('invoice_settings')
    op.drop_table('tax_rates')
    op.drop_table('processed_events')
    op.drop_table('price_lists')
    with op.batch_alter_table('payment_records', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_records_invoice')
        batch_op.drop_index('ix_payment_records_credit_memo')
        batch_op.drop_index('ix_payment_records_client')

    op.drop_table('payment_records')
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_events_created_at'))

    op.drop_table('outbox_events')
