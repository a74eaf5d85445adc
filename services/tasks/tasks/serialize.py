"""Task types, statuses, tasks and history entries as the API shows them."""


def _date(value):
    return value.isoformat() if value else None


def _time(value):
    return value.isoformat() if value else None


def status_to_dict(status):
    return {"id": status.id, "task_type_id": status.task_type_id, "name": status.name,
            "sort_order": status.sort_order, "closed": status.closed}


def type_to_dict(task_type, statuses):
    return {"id": task_type.id, "name": task_type.name, "description": task_type.description,
            "customer_service": task_type.customer_service, "sort_order": task_type.sort_order,
            "active": task_type.active, "statuses": [status_to_dict(s) for s in statuses]}


def is_overdue(task, today):
    return bool(task.is_open and task.due_date is not None and task.due_date < today)


def task_to_dict(task, today):
    """``task`` is a Task or a row with the same columns."""
    return {
        "id": task.id,
        "title": task.title,
        "description": task.description,
        "task_type_id": task.task_type_id,
        "status_id": task.status_id,
        "priority": task.priority,
        "due_date": _date(task.due_date),
        "assignee_id": task.assignee_id,
        "client_id": task.client_id,
        "session_id": task.session_id,
        "invoice_id": task.invoice_id,
        "open": task.is_open,
        "overdue": is_overdue(task, today),
        "source": task.source,
        "created_at": _time(task.created_at),
        "updated_at": _time(task.updated_at),
        "closed_at": _time(task.closed_at),
        "created_by": task.created_by,
        "updated_by": task.updated_by,
    }


def history_to_dict(entry):
    return {"at": _time(entry.at), "user_id": entry.user_id, "field": entry.field,
            "from": entry.from_value, "to": entry.to_value}
