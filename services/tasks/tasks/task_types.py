"""Task types and their ordered statuses, each open or closed: the studio's own workflows."""
import unicodedata

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from proofsheet_shared.contracts.tasks import (TaskStatusInSchema, TaskStatusListArgs, TaskTypeInSchema)
from proofsheet_shared.errors import Conflict, NotFound, Unprocessable, ValidationError
from proofsheet_shared.schemas import load
from proofsheet_shared.types import utcnow

from .models import Task, TaskStatus, TaskType
from .serialize import status_to_dict, type_to_dict


def key(text):
    """Case- and accent-insensitive form of a name, for uniqueness."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())[:100]


def ordered_statuses(session, task_type_id):
    return list(session.scalars(select(TaskStatus).where(TaskStatus.task_type_id == task_type_id)
                                .order_by(TaskStatus.sort_order, TaskStatus.id)))


def statuses_by_type(session, type_ids):
    """``{type id: [statuses in order]}`` for the given types."""
    found = {type_id: [] for type_id in type_ids}
    if type_ids:
        rows = session.scalars(select(TaskStatus).where(TaskStatus.task_type_id.in_(list(type_ids)))
                               .order_by(TaskStatus.task_type_id, TaskStatus.sort_order, TaskStatus.id))
        for status in rows:
            found[status.task_type_id].append(status)
    return found


def get_type(session, type_id, field="id"):
    task_type = session.get(TaskType, type_id) if type_id is not None else None
    if task_type is None:
        raise NotFound(f"task type {type_id} does not exist", {field: "not found"})
    return task_type


def get_status(session, status_id, field="id"):
    status = session.get(TaskStatus, status_id) if status_id is not None else None
    if status is None:
        raise NotFound(f"task status {status_id} does not exist", {field: "not found"})
    return status


def first_status(session, task_type):
    statuses = ordered_statuses(session, task_type.id)
    if not statuses:
        raise Unprocessable(f"task type '{task_type.name}' has no statuses yet; add one first",
                            {"task_type_id": "has no statuses"})
    return statuses[0]


def status_of_type(session, status_id, task_type, field="status_id"):
    """The status ``status_id``, which must belong to ``task_type``."""
    status = get_status(session, status_id, field)
    if status.task_type_id != task_type.id:
        raise ValidationError(f"task status '{status.name}' ({status.id}) is not a status of task type "
                              f"'{task_type.name}'",
                              {field: f"not a status of task type {task_type.id}"})
    return status


# --- types ---------------------------------------------------------------------------------


def list_types(session):
    types = list(session.scalars(select(TaskType)
                                 .order_by(TaskType.sort_order, TaskType.name_key, TaskType.id)))
    statuses = statuses_by_type(session, [t.id for t in types])
    return {"items": [type_to_dict(t, statuses[t.id]) for t in types], "next_cursor": None}


def get_type_dict(session, type_id):
    task_type = get_type(session, type_id)
    return type_to_dict(task_type, ordered_statuses(session, task_type.id))


def _check_type_name_free(session, name, exclude_id=None):
    stmt = select(TaskType.id).where(TaskType.name_key == key(name))
    if exclude_id is not None:
        stmt = stmt.where(TaskType.id != exclude_id)
    if session.scalar(stmt) is not None:
        raise Conflict(f"a task type named '{name}' already exists", {"name": "already exists"})


def _flush(session, message, field="name", add=None):
    """Flush (adding ``add``); a unique violation that slipped past the name check (a
    concurrent write) becomes a Conflict naming ``field``. The caller's transaction is
    rolled back with the error, so no savepoint is needed."""
    if add is not None:
        session.add(add)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(message, {field: "already exists"}) from None


def create_type(session, payload):
    data = load(TaskTypeInSchema(), payload)
    _check_type_name_free(session, data["name"])
    inline = data.get("statuses") or []
    names = [key(s["name"]) for s in inline]
    for index, name in enumerate(names):
        if name in names[:index]:
            raise ValidationError("two statuses of one type cannot share a name",
                                  {f"statuses.{index}.name": "listed twice"})
    if "sort_order" not in data:
        data["sort_order"] = (session.scalar(select(func.max(TaskType.sort_order))) or 0) + 10
    task_type = TaskType(name=data["name"], name_key=key(data["name"]), description=data.get("description"),
                         customer_service=data.get("customer_service", False), sort_order=data["sort_order"],
                         active=data.get("active", True))
    _flush(session, f"a task type named '{data['name']}' already exists", add=task_type)
    for index, status in enumerate(inline):
        session.add(TaskStatus(task_type_id=task_type.id, name=status["name"], name_key=key(status["name"]),
                               sort_order=10 * (index + 1), closed=status["closed"]))
    session.flush()
    return get_type_dict(session, task_type.id)


def update_type(session, type_id, payload):
    data = load(TaskTypeInSchema(), payload, partial=True)
    task_type = get_type(session, type_id)
    if "statuses" in data:
        raise ValidationError("change a type's statuses through /task-statuses",
                              {"statuses": "only when the type is created"})
    if "name" in data:
        _check_type_name_free(session, data["name"], exclude_id=task_type.id)
        task_type.name, task_type.name_key = data["name"], key(data["name"])
    for field in ("description", "customer_service", "sort_order", "active"):
        if field in data:
            setattr(task_type, field, data[field])
    _flush(session, f"a task type named '{task_type.name}' already exists")
    return get_type_dict(session, task_type.id)


def delete_type(session, type_id):
    task_type = get_type(session, type_id)
    used = session.scalar(select(func.count()).select_from(Task).where(Task.task_type_id == task_type.id))
    if used:
        raise Conflict(f"task type '{task_type.name}' is used by {used} tasks; set active to false instead",
                       {"id": f"in use by {used} tasks"})
    session.delete(task_type)  # its statuses go with it (ON DELETE CASCADE)
    session.flush()
    return {"deleted": type_id}


# --- statuses ------------------------------------------------------------------------------


def list_statuses(session, args):
    args = load(TaskStatusListArgs(), args or {})
    stmt = select(TaskStatus).order_by(TaskStatus.task_type_id, TaskStatus.sort_order, TaskStatus.id)
    if args.get("task_type_id") is not None:
        stmt = stmt.where(TaskStatus.task_type_id == args["task_type_id"])
    return {"items": [status_to_dict(s) for s in session.scalars(stmt)], "next_cursor": None}


def _check_status_name_free(session, task_type, name, exclude_id=None):
    stmt = select(TaskStatus.id).where(TaskStatus.task_type_id == task_type.id,
                                       TaskStatus.name_key == key(name))
    if exclude_id is not None:
        stmt = stmt.where(TaskStatus.id != exclude_id)
    if session.scalar(stmt) is not None:
        raise Conflict(f"task type '{task_type.name}' already has a status named '{name}'",
                       {"name": "already exists"})


def create_status(session, payload):
    data = load(TaskStatusInSchema(), payload)
    task_type = get_type(session, data["task_type_id"], field="task_type_id")
    _check_status_name_free(session, task_type, data["name"])
    if "sort_order" not in data:
        last = session.scalar(select(func.max(TaskStatus.sort_order))
                              .where(TaskStatus.task_type_id == task_type.id))
        data["sort_order"] = (last or 0) + 10
    status = TaskStatus(task_type_id=task_type.id, name=data["name"], name_key=key(data["name"]),
                        sort_order=data["sort_order"], closed=data.get("closed", False))
    _flush(session, f"task type '{task_type.name}' already has a status named '{data['name']}'",
           add=status)
    return status_to_dict(status)


def update_status(session, status_id, payload):
    """Rename, reorder, or mark open/closed; tasks in the status follow its ``closed`` flag."""
    data = load(TaskStatusInSchema(), payload, partial=True)
    status = get_status(session, status_id)
    if "task_type_id" in data and data["task_type_id"] != status.task_type_id:
        raise ValidationError("a status cannot move to another task type; create one there instead",
                              {"task_type_id": "cannot change"})
    task_type = session.get(TaskType, status.task_type_id)
    if "name" in data:
        _check_status_name_free(session, task_type, data["name"], exclude_id=status.id)
        status.name, status.name_key = data["name"], key(data["name"])
    if "sort_order" in data:
        status.sort_order = data["sort_order"]
    if "closed" in data and data["closed"] != status.closed:
        status.closed = data["closed"]
        session.execute(update(Task).where(Task.status_id == status.id).values(
            is_open=not status.closed, closed_at=utcnow() if status.closed else None))
    _flush(session, f"task type '{task_type.name}' already has a status named '{status.name}'")
    return status_to_dict(status)


def delete_status(session, status_id):
    status = get_status(session, status_id)
    used = session.scalar(select(func.count()).select_from(Task).where(Task.status_id == status.id))
    if used:
        raise Conflict(f"task status '{status.name}' is used by {used} tasks; move them first",
                       {"id": f"in use by {used} tasks"})
    session.delete(status)
    session.flush()
    return {"deleted": status_id}
