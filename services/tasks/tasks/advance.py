"""Advance status in bulk: each listed task moves to the next status of its type.

The answer has one result per listed id, in the order given: advanced (from → to), or why
not (no such task, already in the last status of its type, listed twice). The tasks that
can move do move, whatever happens to the others; each move is a history entry and one
``task_status_changed`` event, written in the same transaction.

Cost does not grow with the number of statements: the listed tasks are read (and locked,
on PostgreSQL, in id order so that two bulk advances cannot deadlock) in chunks, the
statuses of their types in one query, and the moves are written as one UPDATE per
(from status, to status) pair, one multi-row INSERT of history entries and one of events
(``proofsheet_shared.outbox_bulk``; the service publishes them after the reply).
"""
from sqlalchemy import insert, select, update

from proofsheet_shared.contracts.tasks import AdvanceStatusInSchema
from proofsheet_shared.outbox_bulk import publish_many
from proofsheet_shared.schemas import load
from proofsheet_shared.types import utcnow

from .models import Task, TaskHistory
from .records import status_changed_event
from .task_types import statuses_by_type

CHUNK = 5000
ID_MAX = 2**31 - 1
_LOCKED_COLUMNS = (Task.id, Task.task_type_id, Task.status_id, Task.is_open, Task.assignee_id, Task.client_id,
                   Task.session_id, Task.invoice_id)


def _chunks(values, size=CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _load_locked(session, ids):
    rows = {}
    for chunk in _chunks(sorted(ids)):
        stmt = select(*_LOCKED_COLUMNS).where(Task.id.in_(chunk)).order_by(Task.id).with_for_update()
        for row in session.execute(stmt):
            rows[row.id] = row
    return rows


def _next_statuses(session, type_ids):
    """``{status id: the status after it in its type, or None for the last}``."""
    following = {}
    for statuses in statuses_by_type(session, type_ids).values():
        for index, status in enumerate(statuses):
            following[status.id] = statuses[index + 1] if index + 1 < len(statuses) else None
    return following


def _failure(task_id, code, message):
    return {"id": task_id, "ok": False, "from_status_id": None, "status_id": None, "open": None,
            "error": {"code": code, "message": message}}


def advance_status(db, payload, user_id):
    session = db.session
    ids = load(AdvanceStatusInSchema(), payload)["ids"]
    rows = _load_locked(session, {i for i in ids if 0 < i <= ID_MAX})
    following = _next_statuses(session, {row.task_type_id for row in rows.values()})

    results, moves, seen = [], {}, set()
    for task_id in ids:
        if task_id in seen:
            results.append(_failure(task_id, "validation_error", f"task {task_id} is listed more than once; "
                                                                   "it was advanced once"))
            continue
        seen.add(task_id)
        row = rows.get(task_id)
        if row is None:
            results.append(_failure(task_id, "not_found", f"task {task_id} does not exist"))
            continue
        target = following.get(row.status_id)
        if target is None:
            results.append(_failure(task_id, "unprocessable",
                                    f"task {task_id} is already in the last status of its type"))
            continue
        moves.setdefault((row.status_id, row.is_open, target.id, target.closed), []).append(row)
        results.append({"id": task_id, "ok": True, "from_status_id": row.status_id, "status_id": target.id,
                        "open": not target.closed, "error": None})

    now = utcnow()
    history, events = [], []
    for (from_id, was_open, to_id, to_closed), moved in moves.items():
        values = {"status_id": to_id, "is_open": not to_closed, "updated_at": now, "updated_by": user_id}
        if to_closed and was_open:
            values["closed_at"] = now
        elif not to_closed:
            values["closed_at"] = None
        for chunk in _chunks([row.id for row in moved]):
            session.execute(update(Task).where(Task.id.in_(chunk), Task.status_id == from_id)
                            .values(**values).execution_options(synchronize_session=False))
        for row in moved:
            history.append({"task_id": row.id, "at": now, "user_id": user_id, "field": "status_id",
                            "from_value": from_id, "to_value": to_id})
            event = status_changed_event(row, from_id, to_id)
            event["open"] = not to_closed
            events.append(event)
    if history:
        session.execute(insert(TaskHistory.__table__), history)
        publish_many(db, "task_status_changed", events)
    session.expire_all()  # ORM copies of the moved tasks (if any) are stale now
    advanced = len(history)
    return {"items": results, "advanced": advanced, "failed": len(results) - advanced}
