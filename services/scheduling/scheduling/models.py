"""The scheduling service's tables.

Times are stored in UTC (``UTCDateTime``); the studio's time zone is applied on the way in
and out. A session lasts at most ``SESSION_MAX_HOURS`` and an appointment at most
``APPOINTMENT_MAX_DAYS``, so "bookings overlapping [a, b)" is an index range scan on
``starts_at`` between ``a - max length`` and ``b``, with ``ends_at > a`` checked in the
same index (it is the index's next column).

``resources`` holds one row per bookable thing (``staff:5``, ``room:studio a``): a booking
locks the rows of what it books before it looks for overlaps, so two concurrent bookings
of one photographer, assistant or room are serialised and the second sees the first.
"""

import datetime as dt

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from proofsheet_shared.outbox import add_messaging_tables
from proofsheet_shared.types import UTCDateTime, utcnow


class Base(DeclarativeBase):
    pass


add_messaging_tables(Base.metadata)


class SchedulingSettings(Base):
    """One row (id 1)."""

    __tablename__ = "scheduling_settings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conflict_mode: Mapped[str] = mapped_column(String(10), nullable=False, default="never")
    prepayment_required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    prepayment_threshold: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class SessionType(Base):
    __tablename__ = "session_types"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    name_key: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    duration_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    price_item_ids: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class SessionStatus(Base):
    """The studio's one ordered list of session statuses (``sort_order``, then id)."""

    __tablename__ = "session_statuses"
    __table_args__ = (Index("ix_session_statuses_order", "sort_order", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    name_key: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Resource(Base):
    """A bookable thing, locked while a booking of it is checked and written."""

    __tablename__ = "resources"
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    touched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class SessionSeries(Base):
    """A recurring series: the RRULE and the first occurrence's wall-clock start in ``time_zone``."""

    __tablename__ = "session_series"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rrule: Mapped[str] = mapped_column(String(500), nullable=False)
    dtstart_local: Mapped[str] = mapped_column(String(19), nullable=False)
    time_zone: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(Integer)


class Session(Base):
    """A booked session. ``status_id`` is deliberately not indexed and the table is kept 20 %
    free on PostgreSQL (migration 0002): a bulk status advance then rewrites each row in place
    (a HOT update) instead of touching every index of the table."""

    __tablename__ = "sessions"
    __table_args__ = (
        Index("ix_sessions_starts", "starts_at", "ends_at"),
        Index("ix_sessions_photographer", "photographer_id", "starts_at", "ends_at"),
        Index("ix_sessions_assistant", "assistant_id", "starts_at", "ends_at"),
        Index("ix_sessions_room", "room_key", "starts_at", "ends_at"),
        Index("ix_sessions_client", "client_id", "cancelled"),
        Index("ix_sessions_series", "series_id", "starts_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(Integer, nullable=False)
    client_name: Mapped[str | None] = mapped_column(String(200))
    session_type_id: Mapped[int] = mapped_column(
        ForeignKey("session_types.id", name="fk_sessions_type"), nullable=False
    )
    status_id: Mapped[int] = mapped_column(
        ForeignKey("session_statuses.id", name="fk_sessions_status"), nullable=False
    )
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    photographer_id: Mapped[int | None] = mapped_column(Integer)
    assistant_id: Mapped[int | None] = mapped_column(Integer)
    room: Mapped[str | None] = mapped_column(String(100))
    room_key: Mapped[str | None] = mapped_column(String(100))
    organization_id: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("session_series.id", name="fk_sessions_series"))
    cancelled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    cancelled_by: Mapped[int | None] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(Integer)
    updated_by: Mapped[int | None] = mapped_column(Integer)


class Appointment(Base):
    """An internal booking; ``cancelled`` once deleted (the ICS feed shows it cancelled)."""

    __tablename__ = "appointments"
    __table_args__ = (
        Index("ix_appointments_starts", "starts_at", "ends_at"),
        Index("ix_appointments_room", "room_key", "starts_at"),
        Index("ix_appointments_client", "client_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    client_id: Mapped[int | None] = mapped_column(Integer)
    client_name: Mapped[str | None] = mapped_column(String(200))
    organization_id: Mapped[int | None] = mapped_column(Integer)
    room: Mapped[str | None] = mapped_column(String(100))
    room_key: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(Text)
    cancelled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    sequence: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(Integer)
    updated_by: Mapped[int | None] = mapped_column(Integer)


class AppointmentStaff(Base):
    __tablename__ = "appointment_staff"
    __table_args__ = (Index("ix_appointment_staff_staff", "staff_id", "appointment_id"),)
    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), primary_key=True
    )
    staff_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class FeedToken(Base):
    """The secret of a staff member's ICS feed address; rotating it kills the old address."""

    __tablename__ = "feed_tokens"
    staff_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(Integer)


class WizardRun(Base):
    """A scheduling-wizard request made with an Idempotency-Key: what it made, and its answer."""

    __tablename__ = "wizard_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="running")
    session_id: Mapped[int | None] = mapped_column(Integer)
    invoice_id: Mapped[int | None] = mapped_column(Integer)
    payment_id: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[dict | None] = mapped_column(JSON)
    user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
