"""The communications service's tables.

- ``email_settings``: one row (id 1); the SMTP password is kept encrypted (see ``secrets``).
- ``email_templates`` and ``form_letters``: what users write (Jinja2, checked at save time).
- ``campaigns`` and ``campaign_recipients``: a campaign's audience is resolved once into one
  row per client (``queued``/``sending``/``sent``/``failed``/``skipped``); senders claim rows
  (``sending`` + ``claim`` + ``claimed_at``) before talking to SMTP. ``message_id`` is fixed
  when a row is first claimed, so a message sent again after a crash carries the same id.
- ``blocked_addresses``: bounced and unsubscribed addresses, by lower-cased address.
- ``triggers`` and ``trigger_runs``: ``(trigger_id, occurrence_key)`` is unique, so a trigger
  fires once for a record and occurrence whatever happens.
- ``date_marks`` and ``record_snapshots``: what this service learned from other services'
  events (sessions, invoices, future payments, clients' birthdays), for date triggers and for
  rendering a record when its service does not answer.
- ``communications``: the log, one row per email sent/failed/skipped and per letter printed.
- ``print_queue``: letters waiting to be printed.
"""

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from proofsheet_shared.outbox import add_messaging_tables
from proofsheet_shared.types import UTCDateTime, utcnow


class Base(DeclarativeBase):
    pass


add_messaging_tables(Base.metadata)


class EmailSettings(Base):
    __tablename__ = "email_settings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    smtp_host: Mapped[str | None] = mapped_column(String(255))
    smtp_port: Mapped[int] = mapped_column(Integer, nullable=False, default=587)
    smtp_tls: Mapped[str] = mapped_column(String(10), nullable=False, default="starttls")
    smtp_username: Mapped[str | None] = mapped_column(String(255))
    smtp_password_encrypted: Mapped[str | None] = mapped_column(Text)
    from_name: Mapped[str | None] = mapped_column(String(255))
    from_address: Mapped[str | None] = mapped_column(String(254))
    reply_to: Mapped[str | None] = mapped_column(String(254))
    send_rate_per_minute: Mapped[int] = mapped_column(Integer, nullable=False, default=120)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(Integer)


class EmailTemplate(Base):
    __tablename__ = "email_templates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    subject: Mapped[str] = mapped_column(String(500), nullable=False)
    html: Mapped[str] = mapped_column(Text, nullable=False)
    marketing: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    record_type: Mapped[str] = mapped_column(String(10), nullable=False, default="client")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(Integer)
    updated_by: Mapped[int | None] = mapped_column(Integer)


class FormLetter(Base):
    __tablename__ = "form_letters"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    record_type: Mapped[str] = mapped_column(String(10), nullable=False, default="client")
    html: Mapped[str] = mapped_column(Text, nullable=False)
    builtin: Mapped[str | None] = mapped_column(String(50), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(Integer)
    updated_by: Mapped[int | None] = mapped_column(Integer)


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (Index("ix_campaigns_status", "status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    template_id: Mapped[int] = mapped_column(ForeignKey("email_templates.id"), nullable=False)
    marketing: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    audience: Mapped[dict] = mapped_column(JSON, nullable=False)
    # the template as it was when the campaign started: later edits do not change it
    subject: Mapped[str] = mapped_column(String(500), nullable=False)
    html: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="sending")
    total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(Integer)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    cancelled_by: Mapped[int | None] = mapped_column(Integer)
    # while the audience is still being resolved in the background (status "preparing"): where
    # the next page starts, and which instance works on it since when
    resolve_state: Mapped[dict | None] = mapped_column(JSON)
    resolver_claim: Mapped[str | None] = mapped_column(String(40))
    resolver_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class CampaignRecipient(Base):
    __tablename__ = "campaign_recipients"
    __table_args__ = (
        UniqueConstraint("campaign_id", "client_id", name="uq_campaign_recipients_client"),
        Index("ix_campaign_recipients_work", "status", "next_attempt_at", "id"),
        Index("ix_campaign_recipients_campaign", "campaign_id", "status"),
        Index("ix_campaign_recipients_email", "campaign_id", "email"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False)
    client_id: Mapped[int] = mapped_column(Integer, nullable=False)
    email: Mapped[str | None] = mapped_column(String(254))
    merge: Mapped[dict] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="queued")
    reason: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    claim: Mapped[str | None] = mapped_column(String(40))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    message_id: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(String(500))


class BlockedAddress(Base):
    __tablename__ = "blocked_addresses"
    email_key: Mapped[str] = mapped_column(String(254), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    reason: Mapped[str] = mapped_column(String(20), nullable=False)
    detail: Mapped[str | None] = mapped_column(String(500))
    client_id: Mapped[int | None] = mapped_column(Integer)
    campaign_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class Trigger(Base):
    __tablename__ = "triggers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    event: Mapped[str | None] = mapped_column(String(40))
    status_id: Mapped[int | None] = mapped_column(Integer)
    date_field: Mapped[str | None] = mapped_column(String(30))
    offset_days: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    filters: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    action: Mapped[str] = mapped_column(String(10), nullable=False)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("email_templates.id"))
    form_letter_id: Mapped[int | None] = mapped_column(ForeignKey("form_letters.id"))
    task: Mapped[dict | None] = mapped_column(JSON)
    mode: Mapped[str] = mapped_column(String(10), nullable=False, default="auto")
    # date triggers: the last studio day scanned (a new trigger starts on the day it is made)
    scanned_through: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(Integer)


class TriggerRun(Base):
    __tablename__ = "trigger_runs"
    __table_args__ = (
        UniqueConstraint("trigger_id", "occurrence_key", name="uq_trigger_runs_occurrence"),
        Index("ix_trigger_runs_status", "status", "id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trigger_id: Mapped[int] = mapped_column(ForeignKey("triggers.id", ondelete="CASCADE"), nullable=False)
    occurrence_key: Mapped[str] = mapped_column(String(200), nullable=False)
    record_type: Mapped[str] = mapped_column(String(10), nullable=False)
    record_id: Mapped[int] = mapped_column(Integer, nullable=False)
    client_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    result: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    processed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    processed_by: Mapped[int | None] = mapped_column(Integer)


class RecordSnapshot(Base):
    """The last state of another service's record, as its events carried it."""

    __tablename__ = "record_snapshots"
    record_type: Mapped[str] = mapped_column(String(10), primary_key=True)
    record_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSON, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class DateMark(Base):
    """A date a date trigger can fire on: a session's day, an invoice's or future payment's due
    date (``on_date``), a client's birthday or anniversary (``month_day``, ``MM-DD``)."""

    __tablename__ = "date_marks"
    __table_args__ = (
        Index("ix_date_marks_on_date", "kind", "on_date"),
        Index("ix_date_marks_month_day", "kind", "month_day"),
    )
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    record_type: Mapped[str] = mapped_column(String(10), primary_key=True)
    record_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int | None] = mapped_column(Integer)
    on_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    month_day: Mapped[str] = mapped_column(String(5), nullable=False)


class Communication(Base):
    __tablename__ = "communications"
    __table_args__ = (
        Index("ix_communications_client", "client_id", "id"),
        Index("ix_communications_campaign", "campaign_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    client_id: Mapped[int | None] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(10), nullable=False)
    subject: Mapped[str | None] = mapped_column(String(500))
    to_address: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    error: Mapped[str | None] = mapped_column(String(500))
    template_id: Mapped[int | None] = mapped_column(Integer)
    form_letter_id: Mapped[int | None] = mapped_column(Integer)
    campaign_id: Mapped[int | None] = mapped_column(Integer)
    trigger_id: Mapped[int | None] = mapped_column(Integer)
    record_type: Mapped[str | None] = mapped_column(String(10))
    record_id: Mapped[int | None] = mapped_column(Integer)
    message_id: Mapped[str | None] = mapped_column(String(200))
    headers: Mapped[dict | None] = mapped_column(JSON)
    html: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(Integer)


class PrintQueueItem(Base):
    __tablename__ = "print_queue"
    __table_args__ = (Index("ix_print_queue_status", "status", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_letter_id: Mapped[int] = mapped_column(ForeignKey("form_letters.id"), nullable=False)
    record_type: Mapped[str] = mapped_column(String(10), nullable=False)
    record_id: Mapped[int] = mapped_column(Integer, nullable=False)
    client_id: Mapped[int | None] = mapped_column(Integer)
    trigger_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="queued")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    printed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    printed_by: Mapped[int | None] = mapped_column(Integer)
