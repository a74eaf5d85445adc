"""The invoicing service's tables.

Money columns are integers in the studio currency's smallest unit (cents). An invoice keeps
its computed amounts (subtotal, discount, tax, total) and the amounts kept true by payment
events (paid, refunded, credited, balance), so balances and reports are sums over one table.
``payment_records`` mirrors what the payments service announced about each payment and
refund; deposits (payments without an invoice) are applied to invoices through
``deposit_applications``.
"""
import datetime as dt

from sqlalchemy import (BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from proofsheet_shared.outbox import add_messaging_tables
from proofsheet_shared.types import UTCDateTime, utcnow

OPEN, PAID, VOID = "open", "paid", "void"
STANDARD, PROMOTIONAL = "standard", "promotional"


class Base(DeclarativeBase):
    pass


add_messaging_tables(Base.metadata)


class TaxRate(Base):
    __tablename__ = "tax_rates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    name_key: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    rate_basis_points: Mapped[int] = mapped_column(Integer, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class InvoiceSettings(Base):
    """One row (id 1): numbering and defaults. Its row lock serialises invoice numbering."""
    __tablename__ = "invoice_settings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_number_prefix: Mapped[str] = mapped_column(String(10), nullable=False, default="")
    next_invoice_number: Mapped[int] = mapped_column(BigInteger, nullable=False, default=1000)
    default_tax_rate_id: Mapped[int | None] = mapped_column(ForeignKey("tax_rates.id"))
    default_due_days: Mapped[int] = mapped_column(Integer, nullable=False, default=30)


class PriceList(Base):
    __tablename__ = "price_lists"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    name_key: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    groups = relationship("PriceListGroup", order_by="(PriceListGroup.sort_order, PriceListGroup.id)",
                          back_populates="price_list")


class PriceListGroup(Base):
    __tablename__ = "price_list_groups"
    __table_args__ = (UniqueConstraint("price_list_id", "name_key", name="uq_price_list_groups_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    price_list_id: Mapped[int] = mapped_column(ForeignKey("price_lists.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    name_key: Mapped[str] = mapped_column(String(100), nullable=False)
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    price_list = relationship("PriceList", back_populates="groups")


class PriceListItem(Base):
    """A product or service at a price; a promotional item carries a coupon's rules and counts
    its uses (``uses`` goes up once per invoice, by a conditional UPDATE)."""
    __tablename__ = "price_list_items"
    __table_args__ = (UniqueConstraint("price_list_id", "code_key", name="uq_price_list_items_code"),
                      Index("ix_price_list_items_group", "group_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    price_list_id: Mapped[int] = mapped_column(ForeignKey("price_lists.id"), nullable=False)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("price_list_groups.id"))
    code: Mapped[str] = mapped_column(String(40), nullable=False)
    code_key: Mapped[str] = mapped_column(String(40), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    price: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    taxable: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    item_type: Mapped[str] = mapped_column(String(20), nullable=False, default=STANDARD)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    coupon_code: Mapped[str | None] = mapped_column(String(40), unique=True)
    percent_off: Mapped[int | None] = mapped_column(Integer)
    amount_off: Mapped[int | None] = mapped_column(BigInteger)
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    max_uses: Mapped[int | None] = mapped_column(Integer)
    min_subtotal: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    uses: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class LineMixin:
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("price_list_items.id"))
    description: Mapped[str] = mapped_column(String(500), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    unit_price: Mapped[int] = mapped_column(BigInteger, nullable=False)
    taxable: Mapped[bool] = mapped_column(Boolean, nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    discount: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    tax: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    total: Mapped[int] = mapped_column(BigInteger, nullable=False)


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        Index("ix_invoices_client", "client_id", "id"),
        Index("ix_invoices_status_due", "status", "due_date"),
        Index("ix_invoices_date", "invoice_date"),
        Index("ix_invoices_session", "session_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_number: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    client_id: Mapped[int] = mapped_column(Integer, nullable=False)
    session_id: Mapped[int | None] = mapped_column(Integer)
    session_type_id: Mapped[int | None] = mapped_column(Integer)
    invoice_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    due_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=OPEN)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    tax_rate_id: Mapped[int | None] = mapped_column(ForeignKey("tax_rates.id"))
    tax_rate_basis_points: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    coupon_item_id: Mapped[int | None] = mapped_column(ForeignKey("price_list_items.id"))
    coupon_code: Mapped[str | None] = mapped_column(String(40))
    subtotal: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    discount: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    tax: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    total: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    paid: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    refunded: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    credited: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    balance: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    voided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(Integer)
    updated_by: Mapped[int | None] = mapped_column(Integer)

    lines = relationship("InvoiceLine", order_by="InvoiceLine.position", cascade="all, delete-orphan",
                         back_populates="invoice")


class InvoiceLine(LineMixin, Base):
    __tablename__ = "invoice_lines"
    __table_args__ = (UniqueConstraint("invoice_id", "position", name="uq_invoice_lines_position"),
                      Index("ix_invoice_lines_item", "item_id"))
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), nullable=False)

    invoice = relationship("Invoice", back_populates="lines")


class CreditMemo(Base):
    """A credit for a client, optionally against one invoice (then it is that invoice's
    ``credited``); refunds (payments of kind ``refund``) draw it down."""
    __tablename__ = "credit_memos"
    __table_args__ = (Index("ix_credit_memos_client", "client_id", "id"),
                      Index("ix_credit_memos_invoice", "invoice_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(Integer, nullable=False)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    memo_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    tax_rate_id: Mapped[int | None] = mapped_column(ForeignKey("tax_rates.id"))
    tax_rate_basis_points: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    subtotal: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    tax: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    total: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    refunded: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(Integer)

    lines = relationship("CreditMemoLine", order_by="CreditMemoLine.position", cascade="all, delete-orphan")


class CreditMemoLine(LineMixin, Base):
    __tablename__ = "credit_memo_lines"
    __table_args__ = (UniqueConstraint("credit_memo_id", "position", name="uq_credit_memo_lines_position"),)
    credit_memo_id: Mapped[int] = mapped_column(ForeignKey("credit_memos.id", ondelete="CASCADE"),
                                                nullable=False)


class PaymentRecord(Base):
    """The last known state of a payment or refund, from the payments service's events.

    ``counted`` is whether it moves money now (not voided, not a future payment). A counted
    payment without an invoice is a deposit; ``applied`` is how much of it deposit
    applications have used.
    """
    __tablename__ = "payment_records"
    __table_args__ = (Index("ix_payment_records_client", "client_id"),
                      Index("ix_payment_records_invoice", "invoice_id"),
                      Index("ix_payment_records_credit_memo", "credit_memo_id"))
    payment_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    client_id: Mapped[int | None] = mapped_column(Integer)
    invoice_id: Mapped[int | None] = mapped_column(Integer)
    credit_memo_id: Mapped[int | None] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    applied: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    status: Mapped[str | None] = mapped_column(String(20))
    counted: Mapped[bool] = mapped_column(Boolean, nullable=False)
    voided: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    future: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    version: Mapped[int | None] = mapped_column(BigInteger)
    payment_date: Mapped[dt.date | None] = mapped_column(Date)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class DepositApplication(Base):
    __tablename__ = "deposit_applications"
    __table_args__ = (Index("ix_deposit_applications_payment", "payment_id"),
                      Index("ix_deposit_applications_invoice", "invoice_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment_records.payment_id"), nullable=False)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(Integer)
