"""The tasks service's tables.

A task's status must be a status of the task's type: the foreign key
``(task_type_id, status_id) → task_statuses(task_type_id, id)`` makes the database refuse
anything else. ``is_open`` and ``sort_due`` are kept on the task row (written only by
:func:`tasks.records.set_status` and :func:`tasks.records.set_due_date`) so that the hub's
lists, "my open tasks" above all, are one index range scan already in display order.
"""
import datetime as dt

from sqlalchemy import (Boolean, Date, ForeignKey, ForeignKeyConstraint, Index, Integer, String, Text,
                        UniqueConstraint, text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from proofsheet_shared.outbox import add_messaging_tables
from proofsheet_shared.types import UTCDateTime, utcnow

# Tasks without a due date sort after every dated task.
NO_DUE_DATE = dt.date(9999, 12, 31)


class Base(DeclarativeBase):
    pass


def _where(condition):
    """A partial index (PostgreSQL and SQLite): rows with no link are not in it, so writes to
    them, a bulk advance's above all, have fewer index entries to maintain."""
    return {"postgresql_where": text(condition), "sqlite_where": text(condition)}


add_messaging_tables(Base.metadata)


class TaskType(Base):
    """A kind of task ("Customer service — reprint", "Follow-up call"), as specific or generic
    as the studio wants. Tasks of a ``customer_service`` type are the studio's tickets."""
    __tablename__ = "task_types"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    name_key: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    description: Mapped[str | None] = mapped_column(String(1000))
    customer_service: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class TaskStatus(Base):
    """One step of a type's workflow; a type's statuses are ordered by ``sort_order``, then id."""
    __tablename__ = "task_statuses"
    __table_args__ = (
        UniqueConstraint("task_type_id", "name_key", name="uq_task_statuses_type_name"),
        UniqueConstraint("task_type_id", "id", name="uq_task_statuses_type_id"),
        Index("ix_task_statuses_order", "task_type_id", "sort_order", "id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_type_id: Mapped[int] = mapped_column(ForeignKey("task_types.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    name_key: Mapped[str] = mapped_column(String(100), nullable=False)
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    closed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        ForeignKeyConstraint(["task_type_id", "status_id"],
                             ["task_statuses.task_type_id", "task_statuses.id"],
                             name="fk_tasks_status_of_type"),
        Index("ix_tasks_assignee_open", "assignee_id", "is_open", "sort_due", "id"),
        Index("ix_tasks_open", "is_open", "sort_due", "id"),
        Index("ix_tasks_sort", "sort_due", "id"),
        Index("ix_tasks_type", "task_type_id", "sort_due", "id"),
        Index("ix_tasks_status", "status_id", "sort_due", "id"),
        Index("ix_tasks_client", "client_id", "is_open", **_where("client_id IS NOT NULL")),
        Index("ix_tasks_session", "session_id", "is_open", **_where("session_id IS NOT NULL")),
        Index("ix_tasks_invoice", "invoice_id", "is_open", **_where("invoice_id IS NOT NULL")),
        Index("uq_tasks_dedupe_key", "dedupe_key", unique=True, **_where("dedupe_key IS NOT NULL")),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    task_type_id: Mapped[int] = mapped_column(ForeignKey("task_types.id", name="fk_tasks_type"),
                                              nullable=False)
    status_id: Mapped[int] = mapped_column(Integer, nullable=False)
    priority: Mapped[str] = mapped_column(String(10), nullable=False, default="normal")
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    sort_due: Mapped[dt.date] = mapped_column(Date, nullable=False, default=NO_DUE_DATE)
    is_open: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    assignee_id: Mapped[int | None] = mapped_column(Integer)
    client_id: Mapped[int | None] = mapped_column(Integer)
    session_id: Mapped[int | None] = mapped_column(Integer)
    invoice_id: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(String(100))
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(Integer)
    updated_by: Mapped[int | None] = mapped_column(Integer)


class TaskHistory(Base):
    """A change of a task's status, assignee or type: who, when, from → to (ids)."""
    __tablename__ = "task_history"
    __table_args__ = (Index("ix_task_history_task", "task_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(32), nullable=False)
    from_value: Mapped[int | None] = mapped_column(Integer)
    to_value: Mapped[int | None] = mapped_column(Integer)
