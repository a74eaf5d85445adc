"""Bulk advance: each task to the next status of its type; one result per listed id; one
history entry and one event per move; nothing moves twice."""

import pytest
from sqlalchemy import func, select

from proofsheet_shared.errors import ValidationError
from tasks import advance, records, task_types
from tasks.models import TaskHistory


def make(db, links, today, type_id, status_id=None, count=1):
    payload = {"title": "t", "task_type_id": type_id}
    if status_id is not None:
        payload["status_id"] = status_id
    return [records.create_task(db, payload, 5, links, today)["id"] for _ in range(count)]


def test_mixed_ids_get_one_result_each_in_order(db, session, links, today, seed):
    todo = make(db, links, today, seed.general, count=2)
    waiting = make(db, links, today, seed.customer_service, seed.cs_waiting)
    done = make(db, links, today, seed.general, seed.done)
    db.clear_events()
    ids = [todo[0], 999999, waiting[0], done[0], todo[1], todo[0], -3]
    result = advance.advance_status(db, {"ids": ids}, 7)
    assert (result["advanced"], result["failed"]) == (3, 4)
    items = result["items"]
    assert [item["id"] for item in items] == ids
    assert [item["ok"] for item in items] == [True, False, True, False, True, False, False]
    assert (items[0]["from_status_id"], items[0]["status_id"], items[0]["open"]) == (
        seed.todo,
        seed.in_progress,
        True,
    )
    assert (items[2]["status_id"], items[2]["open"]) == (seed.cs_resolved, False)
    assert [items[i]["error"]["code"] for i in (1, 3, 5, 6)] == [
        "not_found",
        "unprocessable",
        "validation_error",
        "not_found",
    ]
    assert "last status" in items[3]["error"]["message"]
    assert items[0]["error"] is None

    assert records.get_task(session, todo[0], today)["status_id"] == seed.in_progress  # moved once
    closed = records.get_task(session, waiting[0], today)
    assert (closed["open"], closed["updated_by"]) == (False, 7) and closed["closed_at"]
    assert closed["history"][0] | {"at": None} == {
        "at": None,
        "user_id": 7,
        "field": "status_id",
        "from": seed.cs_waiting,
        "to": seed.cs_resolved,
    }
    assert records.get_task(session, done[0], today)["history"] == []
    assert db.event_types() == ["task_status_changed"] * 3
    assert sorted(e["task_id"] for e in db.events_of("task_status_changed")) == sorted(
        [todo[0], todo[1], waiting[0]]
    )
    assert [e["open"] for e in db.events_of("task_status_changed") if e["task_id"] == waiting[0]] == [False]


def test_advancing_again_walks_the_whole_workflow(db, session, links, today, seed):
    [task] = make(db, links, today, seed.customer_service)
    path = []
    while True:
        item = advance.advance_status(db, {"ids": [task]}, 5)["items"][0]
        if not item["ok"]:
            break
        path.append(item["status_id"])
    assert path == [seed.cs_in_progress, seed.cs_waiting, seed.cs_resolved]
    assert len(records.get_task(session, task, today)["history"]) == 3


def test_order_follows_sort_order_not_ids(db, session, links, today, seed):
    kind = task_types.create_type(session, {"name": "Reprint", "statuses": [{"name": "B"}, {"name": "A"}]})
    first = task_types.create_status(session, {"task_type_id": kind["id"], "name": "Start", "sort_order": 1})
    [task] = make(db, links, today, kind["id"])
    assert records.get_task(session, task, today)["status_id"] == first["id"]
    moved = advance.advance_status(db, {"ids": [task]}, 5)["items"][0]
    assert moved["status_id"] == kind["statuses"][0]["id"]


def test_many_tasks_in_one_call(db, session, links, today, seed):
    ids = make(db, links, today, seed.general, count=1200) + make(
        db, links, today, seed.customer_service, count=300
    )
    db.clear_events()
    result = advance.advance_status(db, {"ids": ids}, 5)
    assert result["advanced"] == 1500 and result["failed"] == 0
    assert len(db.events) == 1500
    assert session.scalar(select(func.count()).select_from(TaskHistory)) == 1500


@pytest.mark.parametrize(
    "payload, field",
    [
        ({}, "ids"),
        ({"ids": []}, "ids"),
        ({"ids": "1,2"}, "ids"),
        ({"ids": [1, "x"]}, "ids.1"),
        ({"ids": list(range(1, 10_002))}, "ids"),
    ],
)
def test_bad_requests_move_nothing(db, links, today, seed, payload, field):
    make(db, links, today, seed.general)
    db.clear_events()
    with pytest.raises(ValidationError) as err:
        advance.advance_status(db, payload, 5)
    assert field in err.value.fields
    assert db.events == []
