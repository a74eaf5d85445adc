"""The task hub: filter by type, status, open/closed, assignee, overdue, due range, and by
linked client, session or invoice; ordered by due date (undated last), then id; paged with
a cursor.

Every list is a range scan of one of the tasks indexes in this order: "my open tasks" is
``ix_tasks_assignee_open`` (assignee_id, is_open, sort_due, id), so its first page costs the
same with two hundred or two hundred thousand tasks.
"""
import datetime as dt

from sqlalchemy import or_, select, tuple_

from proofsheet_shared.contracts.tasks import TaskListArgs
from proofsheet_shared.errors import ValidationError
from proofsheet_shared.schemas import decode_cursor, encode_cursor, load

from .models import Task, TaskType
from .serialize import task_to_dict

EQUALITY_FILTERS = ("task_type_id", "status_id", "assignee_id", "client_id", "session_id", "invoice_id")
_COLUMNS = tuple(Task.__table__.c)


def _after(cursor):
    values = decode_cursor(cursor, 2)
    if values is None:
        return None
    try:
        return dt.date.fromisoformat(values[0]), int(values[1])
    except (TypeError, ValueError):
        raise ValidationError("the cursor is not one this API gave out",
                              {"cursor": "invalid cursor"}) from None


def filtered(args, today):
    """The WHERE clauses for loaded ``TaskListArgs``."""
    clauses = [getattr(Task, field) == args[field]
               for field in EQUALITY_FILTERS if args.get(field) is not None]
    if args.get("open") is not None:
        clauses.append(Task.is_open.is_(True) if args["open"] else Task.is_open.is_(False))
    if args.get("overdue") is True:
        clauses += [Task.is_open.is_(True), Task.sort_due < today]
    elif args.get("overdue") is False:
        clauses.append(or_(Task.is_open.is_(False), Task.sort_due >= today))
    if args.get("due_from") is not None:
        clauses += [Task.sort_due >= args["due_from"], Task.due_date.is_not(None)]
    if args.get("due_to") is not None:
        clauses += [Task.sort_due <= args["due_to"], Task.due_date.is_not(None)]
    if args.get("customer_service") is not None:
        clauses.append(Task.task_type_id.in_(
            select(TaskType.id).where(TaskType.customer_service.is_(args["customer_service"]))))
    return clauses


def list_tasks(session, args, today):
    """``{"items", "next_cursor"}``; ``today`` is the studio's date, for ``overdue``."""
    args = load(TaskListArgs(), args or {})
    stmt = select(*_COLUMNS).where(*filtered(args, today))
    after = _after(args.get("cursor"))
    if after is not None:
        stmt = stmt.where(tuple_(Task.sort_due, Task.id) > tuple_(*after))
    limit = args["limit"]
    rows = session.execute(stmt.order_by(Task.sort_due, Task.id).limit(limit + 1)).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1].sort_due.isoformat(), rows[-1].id])
    return {"items": [task_to_dict(row, today) for row in rows], "next_cursor": next_cursor}

