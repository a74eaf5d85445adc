"""Events: published to ``tasks.events`` after the commit, through the outbox; one per status
change even in a bulk advance (whose events go out after the reply); none for a failed call."""

import time

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from proofsheet_shared.db import WorkerDatabase, create_db_engine
from proofsheet_shared.errors import NotFound
from proofsheet_shared.outbox import outbox_events, record_event
from proofsheet_shared.outbox_bulk import publish_many

GENERAL, CUSTOMER_SERVICE = 1, 2
TODO, IN_PROGRESS = 1, 2


def scalar(url, sql, **params):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()
    finally:
        engine.dispose()


def wait_for_empty_outbox(url, timeout=20):
    deadline = time.monotonic() + timeout
    while scalar(url, "SELECT count(*) FROM outbox_events") and time.monotonic() < deadline:
        time.sleep(0.1)
    return scalar(url, "SELECT count(*) FROM outbox_events")


def test_created_assigned_status_changed_in_order(tasks_container, rpc, event_tap, pg_url):
    tap = event_tap()
    task = rpc.tasks.create_task(
        {"title": "Call back", "task_type_id": GENERAL, "assignee_id": 5, "client_id": 100}
    )
    rpc.tasks.update_task(task["id"], {"status_id": IN_PROGRESS, "assignee_id": 6})
    events = tap.drain(timeout=1)
    assert [e["type"] for e in events] == [
        "tasks.task_created",
        "tasks.task_assigned",
        "tasks.task_updated",
        "tasks.task_status_changed",
        "tasks.task_assigned",
    ]
    assert events[0]["data"]["task"]["id"] == task["id"]
    assert (events[0]["user_id"], events[0]["request_id"], events[0]["source"]) == (5, "test", "tasks")
    assert events[3]["data"] | {"task_id": None} == {
        "task_id": None,
        "task_type_id": GENERAL,
        "from_status_id": TODO,
        "to_status_id": IN_PROGRESS,
        "open": True,
        "assignee_id": 6,
        "client_id": 100,
        "session_id": None,
        "invoice_id": None,
    }
    assert (events[4]["data"]["from_assignee_id"], events[4]["data"]["to_assignee_id"]) == (5, 6)
    assert wait_for_empty_outbox(pg_url) == 0


def test_a_bulk_advance_publishes_one_event_per_change_after_the_reply(
    tasks_container, rpc, event_tap, pg_url
):
    ids = [
        rpc.tasks.create_task({"title": f"t{i}", "task_type_id": CUSTOMER_SERVICE})["id"] for i in range(150)
    ]
    time.sleep(0.5)
    tap = event_tap(routing_key="task_status_changed")
    result = rpc.tasks.advance_status({"ids": ids + [999999]})
    assert (result["advanced"], result["failed"]) == (150, 1)
    received = {}
    deadline = time.monotonic() + 30
    while len(received) < 150 and time.monotonic() < deadline:
        event = tap.get(timeout=1)
        if event is not None:
            received[event["data"]["task_id"]] = event
    assert sorted(received) == sorted(ids)
    assert {(e["data"]["from_status_id"], e["data"]["to_status_id"]) for e in received.values()} == {(4, 5)}
    assert {e["user_id"] for e in received.values()} == {5}
    assert tap.drain(timeout=0.5) == []  # exactly one each
    assert wait_for_empty_outbox(pg_url) == 0


def test_a_failed_call_publishes_nothing(tasks_container, rpc, event_tap, pg_url):
    tap = event_tap()
    with pytest.raises(NotFound):
        rpc.tasks.create_task({"title": "T", "task_type_id": GENERAL, "assignee_id": 99})
    with pytest.raises(NotFound):
        rpc.tasks.update_task(424242, {"status_id": IN_PROGRESS})
    assert tap.drain(timeout=0.5) == []
    assert scalar(pg_url, "SELECT count(*) FROM outbox_events") == 0


def test_publish_many_writes_the_envelopes_record_event_writes(pg_url):
    engine = create_db_engine(pg_url, pool_size=1)
    session = sessionmaker(bind=engine)()
    context = {"user_id": 9, "request_id": "r-1", "permissions": ["*"]}
    db = WorkerDatabase(session, context, "tasks")
    ids = publish_many(db, "task_status_changed", [{"task_id": 1}, {"task_id": 2}])
    single = record_event(session, "tasks", "task_status_changed", {"task_id": 3}, context)
    session.commit()
    rows = {r.id: r for r in session.execute(sa.select(outbox_events))}
    session.close()
    engine.dispose()
    assert db.pending_event_ids == ids and len(rows) == 3
    bulk, one = rows[ids[1]], rows[single]
    assert (bulk.source, bulk.event_type) == (one.source, one.event_type)
    assert set(bulk.envelope) == set(one.envelope)
    assert bulk.envelope | {"id": None, "occurred_at": None, "data": None} == one.envelope | {
        "id": None,
        "occurred_at": None,
        "data": None,
    }
    assert bulk.envelope["id"] == ids[1] and bulk.envelope["data"] == {"task_id": 2}
