"""The payments service's tables.

Money columns are integers in the studio currency's smallest unit (cents). A payment row is
either a payment (``kind = 'payment'``; without an invoice it is a customer deposit) or a
refund (``kind = 'refund'``, always from a credit memo). Nothing is ever deleted: voiding sets
``status = 'void'``. Every change writes a row of ``payment_notes``, which are never updated
or deleted (the migration adds database triggers that refuse it).

``idempotency_keys`` holds each keyed request's body hash and first response, written in the
same transaction as the payments it recorded. ``balance_locks`` has one row per invoice and
per credit memo that money has been recorded against: the row is upserted (and so locked) by
every transaction that records against it, which serialises the open-balance check with the
insert even before invoicing has heard of earlier payments.
"""
import datetime as dt

from sqlalchemy import (JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from proofsheet_shared.outbox import add_messaging_tables
from proofsheet_shared.types import UTCDateTime, utcnow

PAYMENT, REFUND = "payment", "refund"
RECORDED, FUTURE, VOID = "recorded", "future", "void"


class Base(DeclarativeBase):
    pass


add_messaging_tables(Base.metadata)


class PaymentSettings(Base):
    """One row (id 1): the security preference and numbering. Its row lock serialises numbers."""
    __tablename__ = "payment_settings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    require_credentials: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    payment_number_prefix: Mapped[str] = mapped_column(String(10), nullable=False, default="")
    next_payment_number: Mapped[int] = mapped_column(BigInteger, nullable=False, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(Integer)


class PaymentMethod(Base):
    __tablename__ = "payment_methods"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    name_key: Mapped[str] = mapped_column(String(60), nullable=False, unique=True)
    type: Mapped[str] = mapped_column(String(10), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        Index("ix_payments_client", "client_id", "payment_date", "id"),
        Index("ix_payments_invoice", "invoice_id"),
        Index("ix_payments_credit_memo", "credit_memo_id"),
        Index("ix_payments_date", "payment_date", "id"),
        Index("ix_payments_status_due", "status", "due_date"),
        Index("ix_payments_method", "method_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_number: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    client_id: Mapped[int] = mapped_column(Integer, nullable=False)
    invoice_id: Mapped[int | None] = mapped_column(Integer)
    credit_memo_id: Mapped[int | None] = mapped_column(Integer)
    payment_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    method_id: Mapped[int] = mapped_column(ForeignKey("payment_methods.id"), nullable=False)
    method_type: Mapped[str] = mapped_column(String(10), nullable=False)
    processor: Mapped[str] = mapped_column(String(20), nullable=False)
    processor_reference: Mapped[str | None] = mapped_column(String(100))
    amount_tendered: Mapped[int | None] = mapped_column(BigInteger)
    change_due: Mapped[int | None] = mapped_column(BigInteger)
    check_number: Mapped[str | None] = mapped_column(String(30))
    card_type: Mapped[str | None] = mapped_column(String(20))
    authorization_code: Mapped[str | None] = mapped_column(String(64))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    refundable: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    refundable_until: Mapped[dt.date | None] = mapped_column(Date)
    future: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    received_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    overpayment_of: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    notes: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(Integer)
    voided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    voided_by: Mapped[int | None] = mapped_column(Integer)
    void_reason: Mapped[str | None] = mapped_column(String(500))

    method = relationship("PaymentMethod")


class PaymentNote(Base):
    """The status notes: who, when, what changed. Written once, never changed or deleted."""
    __tablename__ = "payment_notes"
    __table_args__ = (Index("ix_payment_notes_payment", "payment_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), nullable=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(Integer)
    request_id: Mapped[str | None] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(20), nullable=False)
    changes: Mapped[list] = mapped_column(JSON, nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)


class IdempotencyKey(Base):
    """A keyed request: the hash of its body and the response it got the first time."""
    __tablename__ = "idempotency_keys"
    scope: Mapped[str] = mapped_column(String(20), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    user_id: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, index=True)


class BalanceLock(Base):
    """One row per invoice (``scope = 'invoice'``) or credit memo (``'memo'``) money was recorded
    against; ``touches`` counts the transactions that locked it."""
    __tablename__ = "balance_locks"
    scope: Mapped[str] = mapped_column(String(10), primary_key=True)
    ref_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    touches: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
