"""The clients service's tables. Emails and phones are kept on the client row for reading,
and flattened into ``client_search_terms`` for search and duplicate detection."""
import datetime as dt

from sqlalchemy import (JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer,
                        String, Table, Column, Text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from proofsheet_shared.outbox import add_messaging_tables
from proofsheet_shared.types import UTCDateTime, utcnow

BinaryText = String(255).with_variant(String(255, collation="C"), "postgresql")


class Base(DeclarativeBase):
    pass


add_messaging_tables(Base.metadata)


class LookupMixin:
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    name_key: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class ClientStatus(LookupMixin, Base):
    __tablename__ = "client_statuses"


class LeadSource(LookupMixin, Base):
    __tablename__ = "lead_sources"


class ClientGroup(LookupMixin, Base):
    __tablename__ = "client_groups"


class Organization(LookupMixin, Base):
    __tablename__ = "organizations"


class Relationship(LookupMixin, Base):
    __tablename__ = "relationships"


class PhoneLabel(LookupMixin, Base):
    __tablename__ = "phone_labels"


class ClientSettings(Base):
    __tablename__ = "client_settings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_number_prefix: Mapped[str] = mapped_column(String(10), nullable=False, default="")
    next_client_number: Mapped[int] = mapped_column(BigInteger, nullable=False, default=1000)
    auto_capitalize: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


client_group_members = Table(
    "client_group_members", Base.metadata,
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("client_groups.id"), primary_key=True),
    Index("ix_client_group_members_group", "group_id", "client_id"),
)


class Client(Base):
    __tablename__ = "clients"
    __table_args__ = (
        Index("ix_clients_sort", "last_key", "first_key", "id"),
        Index("ix_clients_status", "status_id"),
        Index("ix_clients_organization", "organization_id"),
        Index("ix_clients_lead_source", "lead_source_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_number: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    salutation: Mapped[str | None] = mapped_column(String(40))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    first_key: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    last_key: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    emails: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    phones: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    address: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    status_id: Mapped[int | None] = mapped_column(ForeignKey("client_statuses.id"))
    status_due_date: Mapped[dt.date | None] = mapped_column(Date)
    lead_source_id: Mapped[int | None] = mapped_column(ForeignKey("lead_sources.id"))
    referred_by_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    group_ids: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    birthday: Mapped[dt.date | None] = mapped_column(Date)
    anniversary: Mapped[dt.date | None] = mapped_column(Date)
    contract_date: Mapped[dt.date | None] = mapped_column(Date)
    custom_date_1: Mapped[dt.date | None] = mapped_column(Date)
    custom_date_2: Mapped[dt.date | None] = mapped_column(Date)
    custom_texts: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    call_warning: Mapped[str | None] = mapped_column(String(500))
    saturday_only: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    allow_marketing: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    inactive_date: Mapped[dt.date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    secondary_contact_id: Mapped[int | None] = mapped_column(Integer)
    secondary_first_name: Mapped[str | None] = mapped_column(String(100))
    secondary_last_name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(Integer)
    updated_by: Mapped[int | None] = mapped_column(Integer)

    family_members = relationship("FamilyMember", back_populates="client", order_by="FamilyMember.id")


class FamilyMember(Base):
    __tablename__ = "family_members"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), nullable=False, index=True)
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    relationship_id: Mapped[int | None] = mapped_column(ForeignKey("relationships.id"))
    birthday: Mapped[dt.date | None] = mapped_column(Date)
    email: Mapped[str | None] = mapped_column(String(254))
    phones: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    secondary_contact: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    client = relationship("Client", back_populates="family_members")
    relationship_ref = relationship("Relationship", lazy="joined")


class SearchTerm(Base):
    """One searchable key of a client: a name, number, email or a suffix of a phone's digits.

    Prefix search on these keys (a binary-collated range scan) answers every kind of ``q``
    with one index, on SQLite and PostgreSQL alike; phone suffixes make a fragment from the
    middle of a number a prefix too. Each row carries its client's sort keys, so a page of
    matches is chosen from the index alone (PostgreSQL: an index-only scan of the covering
    ``ix_client_search_terms_match``) and only that page's clients are read.
    """
    __tablename__ = "client_search_terms"
    term: Mapped[str] = mapped_column(BinaryText, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(1), nullable=False)
    last_key: Mapped[str] = mapped_column(String(100), nullable=False)
    first_key: Mapped[str] = mapped_column(String(100), nullable=False)
    __table_args__ = (
        Index("ix_client_search_terms_client", "client_id"),
        Index("ix_client_search_terms_match", "term",
              postgresql_include=["client_id", "last_key", "first_key"]),
    )
