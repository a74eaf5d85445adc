"""The task hub: filter by type, status, open/closed, assignee, overdue, due range, and by
linked client, session or invoice; ordered by due date (undated last), then id; paged with
a cursor.

Every list is a range scan of one of the tasks indexes in this order: "my open tasks" is
``ix_tasks_assignee_open`` (assignee_id, is_open, sort_due, id), so its first page costs the
same with two hundred or two hundred thousand tasks.

The hub is read far more than it is written, so its Python side is kept small: one Core
SELECT per combination of filters, built once with bind parameters and reused (no
statement building, no ORM), and one loaded argument schema.
"""
import datetime as dt

from sqlalchemy import Integer, bindparam, or_, select, tuple_

from proofsheet_shared.contracts.tasks import TaskListArgs
from proofsheet_shared.errors import ValidationError
from proofsheet_shared.schemas import decode_cursor, encode_cursor, load

from .models import Task, TaskType
from .serialize import task_to_dict

EQUALITY_FILTERS = ("task_type_id", "status_id", "assignee_id", "client_id", "session_id", "invoice_id")
BOOLEAN_FILTERS = ("open", "overdue", "customer_service")
_COLUMNS = tuple(Task.__table__.c)
_ARGS = TaskListArgs()
_STATEMENTS = {}
_STATEMENTS_MAX = 512


def _after(cursor):
    values = decode_cursor(cursor, 2)
    if values is None:
        return None
    try:
        return dt.date.fromisoformat(values[0]), int(values[1])
    except (TypeError, ValueError):
        raise ValidationError("the cursor is not one this API gave out",
                              {"cursor": "invalid cursor"}) from None


def _clauses(shape):
    """The WHERE clauses of one shape, with bind parameters named after the arguments.

    Booleans are compared with ``=`` (a bound true/false), not ``IS``: PostgreSQL uses an
    index for ``is_open = true`` but not for ``is_open IS true``.
    """
    names, overdue, after = shape
    clauses = [getattr(Task, name) == bindparam(name) for name in EQUALITY_FILTERS if name in names]
    if "open" in names:
        clauses.append(Task.is_open == bindparam("open"))
    if overdue is True:
        clauses += [Task.is_open == bindparam("overdue"), Task.sort_due < bindparam("today")]
    elif overdue is False:
        clauses.append(or_(Task.is_open == bindparam("overdue"), Task.sort_due >= bindparam("today")))
    if "due_from" in names:
        clauses += [Task.sort_due >= bindparam("due_from"), Task.due_date.is_not(None)]
    if "due_to" in names:
        clauses += [Task.sort_due <= bindparam("due_to"), Task.due_date.is_not(None)]
    if "customer_service" in names:
        clauses.append(Task.task_type_id.in_(
            select(TaskType.id).where(TaskType.customer_service == bindparam("customer_service"))))
    if after:
        clauses.append(tuple_(Task.sort_due, Task.id) > tuple_(bindparam("after_due"), bindparam("after_id")))
    return clauses


def _statement(shape):
    stmt = _STATEMENTS.get(shape)
    if stmt is None:
        stmt = (select(*_COLUMNS).where(*_clauses(shape)).order_by(Task.sort_due, Task.id)
                .limit(bindparam("limit", type_=Integer)))
        if len(_STATEMENTS) >= _STATEMENTS_MAX:
            _STATEMENTS.clear()
        _STATEMENTS[shape] = stmt
    return stmt


def query(args, today):
    """The statement and its parameters for loaded ``TaskListArgs`` (``limit`` + 1 rows)."""
    names = frozenset(name for name in EQUALITY_FILTERS + ("open", "due_from", "due_to", "customer_service")
                      if args.get(name) is not None)
    params = {name: args[name] for name in names}
    overdue = args.get("overdue")
    if overdue is not None:
        # overdue: open and due before today; not overdue: closed, or due today or later
        params.update(overdue=overdue, today=today)
    after = _after(args.get("cursor"))
    if after is not None:
        params.update(after_due=after[0], after_id=after[1])
    params["limit"] = args["limit"] + 1
    return _statement((names, overdue, after is not None)), params


def list_tasks(connection, args, today):
    """``{"items", "next_cursor"}``; ``today`` is the studio's date, for ``overdue``.
    ``connection`` is a Connection (the worker's autocommit read) or a Session."""
    args = load(_ARGS, args or {})
    stmt, params = query(args, today)
    rows = connection.execute(stmt, params).all()
    limit = args["limit"]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1].sort_due.isoformat(), rows[-1].id])
    return {"items": [task_to_dict(row, today) for row in rows], "next_cursor": next_cursor}
