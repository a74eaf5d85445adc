"""Creating, changing, reading and deleting tasks, and each task's history.

Every check runs before anything is written: the input (schema), the type and status
(this database), then the assignee and the linked client (other services). A status
change, a reassignment and a change of type each add a history entry (who, when,
from → to) and publish an event through the outbox, in the same transaction.
"""
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from proofsheet_shared.contracts.tasks import TaskInSchema
from proofsheet_shared.errors import NotFound, Unprocessable, ValidationError
from proofsheet_shared.schemas import load
from proofsheet_shared.types import utcnow

from . import task_types
from .links import require_assignee, require_client
from .models import NO_DUE_DATE, Task, TaskHistory
from .serialize import history_to_dict, task_to_dict

PLAIN_FIELDS = ("title", "description", "priority", "client_id", "session_id", "invoice_id")
HISTORY_FIELDS = ("status_id", "assignee_id", "task_type_id")


def get_live_task(session, task_id, field="id"):
    task = session.get(Task, task_id) if task_id is not None else None
    if task is None:
        raise NotFound(f"task {task_id} does not exist", {field: "not found"})
    return task


def set_status(task, status, now):
    """Put ``task`` in ``status``; ``is_open`` and ``closed_at`` follow the status."""
    was_open = task.is_open
    task.status_id = status.id
    task.is_open = not status.closed
    if status.closed and (was_open or task.closed_at is None):
        task.closed_at = now
    elif not status.closed:
        task.closed_at = None


def set_due_date(task, due_date):
    task.due_date = due_date
    task.sort_due = due_date or NO_DUE_DATE


def history_entry(task_id, field, before, after, user_id, now):
    return {"task_id": task_id, "at": now, "user_id": user_id, "field": field,
            "from_value": before, "to_value": after}


def status_changed_event(task, from_status_id, to_status_id):
    return {"task_id": task.id, "task_type_id": task.task_type_id, "from_status_id": from_status_id,
            "to_status_id": to_status_id, "open": task.is_open, "assignee_id": task.assignee_id,
            "client_id": task.client_id, "session_id": task.session_id, "invoice_id": task.invoice_id}


def assigned_event(task, from_assignee_id):
    return {"task_id": task.id, "title": task.title, "from_assignee_id": from_assignee_id,
            "to_assignee_id": task.assignee_id, "client_id": task.client_id,
            "due_date": task.due_date.isoformat() if task.due_date else None}


def get_task(session, task_id, today):
    """One task with its history, oldest entry first."""
    task = get_live_task(session, task_id)
    result = task_to_dict(task, today)
    entries = session.scalars(select(TaskHistory).where(TaskHistory.task_id == task.id)
                              .order_by(TaskHistory.id))
    result["history"] = [history_to_dict(e) for e in entries]
    return result


def _find_by_dedupe_key(session, dedupe_key):
    if not dedupe_key:
        return None
    return session.scalar(select(Task).where(Task.dedupe_key == dedupe_key))


def create_task(db, payload, user_id, links, today, source=None, dedupe_key=None):
    """A new task in its type's first status unless ``status_id`` says otherwise.

    ``source`` names the service that asked (tasks made by the communications service's
    triggers); with ``dedupe_key``, asking again with the same key returns the task made
    the first time instead of a second one (a retried trigger run).
    """
    session = db.session
    data = load(TaskInSchema(), payload)
    if dedupe_key is not None:
        if not isinstance(dedupe_key, str) or not 0 < len(dedupe_key) <= 200:
            raise ValidationError("a dedupe key is a string of 1 to 200 characters",
                                  {"dedupe_key": "invalid"})
        existing = _find_by_dedupe_key(session, dedupe_key)
        if existing is not None:
            return task_to_dict(existing, today)
    task_type = task_types.get_type(session, data["task_type_id"], field="task_type_id")
    if not task_type.active:
        raise Unprocessable(f"task type '{task_type.name}' is inactive: no new tasks of it",
                            {"task_type_id": "inactive"})
    if data.get("status_id") is not None:
        status = task_types.status_of_type(session, data["status_id"], task_type)
    else:
        status = task_types.first_status(session, task_type)
    require_assignee(links, data.get("assignee_id"))
    require_client(links, data.get("client_id"))

    now = utcnow()
    task = Task(task_type_id=task_type.id, priority=data.get("priority") or "normal",
                assignee_id=data.get("assignee_id"), created_at=now, updated_at=now, created_by=user_id,
                updated_by=user_id, source=source, dedupe_key=dedupe_key)
    for field in PLAIN_FIELDS:
        if field in data and field != "priority":
            setattr(task, field, data[field])
    set_due_date(task, data.get("due_date"))
    set_status(task, status, now)
    try:
        with session.begin_nested():  # (begin_nested flushes what is pending: add inside it)
            session.add(task)
            session.flush()
    except IntegrityError:
        existing = _find_by_dedupe_key(session, dedupe_key)
        if existing is None:
            raise
        return task_to_dict(existing, today)  # the same key, made meanwhile by a concurrent call
    result = task_to_dict(task, today)
    db.publish("task_created", {"task": result})
    if task.assignee_id is not None:
        db.publish("task_assigned", assigned_event(task, None))
    return result


def create_task_for_service(db, payload, user_id, links, today, source, dedupe_key=None):
    """:func:`create_task` for another service: ``source`` (1 to 100 characters) is required."""
    if not isinstance(source, str) or not 0 < len(source.strip()) <= 100:
        raise ValidationError("source names the calling service (1 to 100 characters)",
                              {"source": "required"})
    return create_task(db, payload, user_id, links, today, source=source.strip(), dedupe_key=dedupe_key)


def update_task(db, task_id, payload, user_id, links, today):
    """Change a task. A new type without a ``status_id`` puts the task in the new type's
    first status; a ``status_id`` must belong to the (new or current) type."""
    session = db.session
    data = load(TaskInSchema(), payload, partial=True)
    task = get_live_task(session, task_id)
    if not data:
        return get_task(session, task.id, today)
    before = task_to_dict(task, today)

    new_type = None
    if "task_type_id" in data and data["task_type_id"] != task.task_type_id:
        new_type = task_types.get_type(session, data["task_type_id"], field="task_type_id")
        if not new_type.active:
            raise Unprocessable(f"task type '{new_type.name}' is inactive", {"task_type_id": "inactive"})
    task_type = new_type or task_types.get_type(session, task.task_type_id)
    status = None
    if data.get("status_id") is not None:
        status = task_types.status_of_type(session, data["status_id"], task_type)
    elif "status_id" in data:
        raise ValidationError("a task always has a status", {"status_id": "must not be null"})
    elif new_type is not None:
        status = task_types.first_status(session, new_type)
    if "assignee_id" in data and data["assignee_id"] != task.assignee_id:
        require_assignee(links, data["assignee_id"])
    if "client_id" in data and data["client_id"] != task.client_id:
        require_client(links, data["client_id"])

    now = utcnow()
    history = []
    old_type_id, old_status_id, old_assignee_id = task.task_type_id, task.status_id, task.assignee_id
    if new_type is not None:
        task.task_type_id = new_type.id
        history.append(history_entry(task.id, "task_type_id", old_type_id, new_type.id, user_id, now))
    if status is not None and status.id != old_status_id:
        set_status(task, status, now)
        history.append(history_entry(task.id, "status_id", old_status_id, status.id, user_id, now))
    if "assignee_id" in data and data["assignee_id"] != old_assignee_id:
        task.assignee_id = data["assignee_id"]
        history.append(history_entry(task.id, "assignee_id", old_assignee_id, task.assignee_id, user_id, now))
    for field in PLAIN_FIELDS:
        if field in data:
            setattr(task, field, data[field])
    if "due_date" in data:
        set_due_date(task, data["due_date"])

    after = task_to_dict(task, today)
    changed = sorted(k for k in after if after[k] != before[k] and k not in ("updated_at", "updated_by"))
    if not changed:
        return get_task(session, task.id, today)
    task.updated_at, task.updated_by = now, user_id
    session.flush()
    if history:
        session.add_all(TaskHistory(**entry) for entry in history)
        session.flush()
    after = task_to_dict(task, today)
    db.publish("task_updated", {"task": after, "changed": changed})
    if task.status_id != old_status_id:
        db.publish("task_status_changed", status_changed_event(task, old_status_id, task.status_id))
    if task.assignee_id != old_assignee_id:
        db.publish("task_assigned", assigned_event(task, old_assignee_id))
    return get_task(session, task.id, today)


def delete_task(db, task_id, user_id):
    """Remove a task and its history for good (a task is not a record other services point at)."""
    session = db.session
    task = get_live_task(session, task_id)
    data = {"task_id": task.id, "task_type_id": task.task_type_id, "client_id": task.client_id,
            "session_id": task.session_id, "invoice_id": task.invoice_id, "deleted_by": user_id}
    session.delete(task)
    session.flush()
    db.publish("task_deleted", data)
    return {"deleted": task_id}
