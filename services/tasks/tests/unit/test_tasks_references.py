"""Open tasks that hold a client, session or invoice: what other services ask before a delete."""

import pytest

from proofsheet_shared.errors import ValidationError
from tasks import records, references


def test_only_open_tasks_count(db, session, links, today, seed):
    for status in (None, seed.cs_in_progress, seed.cs_resolved):
        payload = {
            "title": "t",
            "task_type_id": seed.customer_service,
            "client_id": 100,
            "session_id": 40,
            "invoice_id": 50,
        }
        if status:
            payload["status_id"] = status
        records.create_task(db, payload, 5, links, today)
    assert references.references(session, "client", 100) == {"open tasks": 2}
    assert references.references(session, "session", 40) == {"open tasks": 2}
    assert references.references(session, "invoice", 50) == {"open tasks": 2}
    assert references.references(session, "client", 101) == {"open tasks": 0}
    assert references.count_open_tasks(session, "invoice", 51) == 0


@pytest.mark.parametrize(
    "record_type, record_id, field",
    [
        ("payment", 1, "record_type"),
        ("client", "1", "record_id"),
        ("client", True, "record_id"),
    ],
)
def test_bad_questions(session, record_type, record_id, field):
    with pytest.raises(ValidationError) as err:
        references.count_open_tasks(session, record_type, record_id)
    assert list(err.value.fields) == [field]
