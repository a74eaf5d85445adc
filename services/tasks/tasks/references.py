"""What other services ask before deleting a record: how many open tasks link to it.

The clients service calls ``tasks.client_references(client_id)`` for every service named
in its ``CLIENT_REFERENCE_SERVICES`` and refuses the delete while any count is not zero;
the scheduling and invoicing services are to do the same with ``session_references`` and
``invoice_references``. Closed tasks do not hold a record.
"""
from sqlalchemy import func, select, true

from proofsheet_shared.contracts.tasks import RECORD_TYPES
from proofsheet_shared.errors import ValidationError

from .models import Task

_COLUMNS = {"client": Task.client_id, "session": Task.session_id, "invoice": Task.invoice_id}
OPEN_TASKS = "open tasks"


def count_open_tasks(session, record_type, record_id):
    column = _COLUMNS.get(record_type)
    if column is None:
        raise ValidationError(f"record_type must be one of {', '.join(RECORD_TYPES)}",
                              {"record_type": f"unknown record type '{record_type}'"})
    if isinstance(record_id, bool) or not isinstance(record_id, int):
        raise ValidationError("record_id must be an integer", {"record_id": "not an integer"})
    return session.scalar(select(func.count()).select_from(Task)
                          .where(column == record_id, Task.is_open == true()))


def references(session, record_type, record_id):
    """``{"open tasks": n}``, the shape the clients service's delete check expects."""
    return {OPEN_TASKS: count_open_tasks(session, record_type, record_id)}
