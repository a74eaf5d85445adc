"""Tasks: create (a ticket from a client), change status, reassign, change type, history,
events, delete, and every bad input refused with the field named and nothing written."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from proofsheet_shared.errors import NotFound, Unprocessable, ValidationError
from tasks import records, task_types
from tasks.models import Task, TaskHistory


def count(session, model=Task):
    return session.scalar(select(func.count()).select_from(model))


def ticket(db, links, today, seed, **fields):
    payload = {"title": "Reprint: wrong crop", "task_type_id": seed.customer_service, **fields}
    return records.create_task(db, payload, 5, links, today)


def test_a_ticket_from_a_client_starts_in_the_first_status(db, links, today, seed):
    created = ticket(
        db,
        links,
        today,
        seed,
        client_id=100,
        assignee_id=6,
        due_date="2026-06-20",
        description="8x10 cropped the chin",
        priority="high",
    )
    assert created["status_id"] == seed.cs_new
    assert (created["client_id"], created["assignee_id"], created["priority"]) == (100, 6, "high")
    assert (created["due_date"], created["open"], created["overdue"]) == ("2026-06-20", True, False)
    assert (created["created_by"], created["source"], created["closed_at"]) == (5, None, None)
    assert created["session_id"] is None and created["invoice_id"] is None
    assert created["created_at"].endswith("+00:00")
    assert db.event_types() == ["task_created", "task_assigned"]
    assert db.events_of("task_created")[0]["task"] == created
    assert db.events_of("task_assigned")[0] == {
        "task_id": created["id"],
        "title": "Reprint: wrong crop",
        "from_assignee_id": None,
        "to_assignee_id": 6,
        "client_id": 100,
        "due_date": "2026-06-20",
    }
    assert ("staff", 6) in links.calls and ("client", 100) in links.calls


def test_defaults_and_an_explicit_status(db, links, today, seed):
    plain = records.create_task(db, {"title": "Order frames", "task_type_id": seed.general}, 5, links, today)
    assert (plain["priority"], plain["due_date"], plain["assignee_id"]) == ("normal", None, None)
    assert db.event_types() == ["task_created"]
    done = records.create_task(
        db,
        {
            "title": "Already done",
            "task_type_id": seed.general,
            "status_id": seed.done,
            "session_id": 77,
            "invoice_id": 88,
        },
        5,
        links,
        today,
    )
    assert (done["status_id"], done["open"]) == (seed.done, False) and done["closed_at"]
    assert (done["session_id"], done["invoice_id"]) == (77, 88)  # not checked: see tasks.links


def test_the_ticket_moves_through_its_statuses_and_closes_with_history(db, session, links, today, seed):
    created = ticket(db, links, today, seed, client_id=100)
    db.clear_events()
    for status in (seed.cs_in_progress, seed.cs_waiting, seed.cs_resolved):
        records.update_task(db, created["id"], {"status_id": status}, 7, links, today)
    closed = records.get_task(session, created["id"], today)
    assert (closed["status_id"], closed["open"], closed["updated_by"]) == (seed.cs_resolved, False, 7)
    assert closed["closed_at"] is not None
    assert [(h["field"], h["from"], h["to"], h["user_id"]) for h in closed["history"]] == [
        ("status_id", seed.cs_new, seed.cs_in_progress, 7),
        ("status_id", seed.cs_in_progress, seed.cs_waiting, 7),
        ("status_id", seed.cs_waiting, seed.cs_resolved, 7),
    ]
    assert all(h["at"].endswith("+00:00") for h in closed["history"])
    assert db.event_types() == ["task_updated", "task_status_changed"] * 3
    last = db.events_of("task_status_changed")[-1]
    assert last == {
        "task_id": created["id"],
        "task_type_id": seed.customer_service,
        "from_status_id": seed.cs_waiting,
        "to_status_id": seed.cs_resolved,
        "open": False,
        "assignee_id": None,
        "client_id": 100,
        "session_id": None,
        "invoice_id": None,
    }
    # reopening clears closed_at
    reopened = records.update_task(db, created["id"], {"status_id": seed.cs_in_progress}, 7, links, today)
    assert reopened["open"] is True and reopened["closed_at"] is None


def test_a_status_of_another_type_is_refused(db, session, links, today, seed):
    with pytest.raises(ValidationError) as err:
        ticket(db, links, today, seed, status_id=seed.done)
    assert list(err.value.fields) == ["status_id"]
    assert "not a status of task type" in err.value.fields["status_id"]
    created = ticket(db, links, today, seed)
    with pytest.raises(ValidationError) as err:
        records.update_task(db, created["id"], {"status_id": seed.todo}, 5, links, today)
    assert list(err.value.fields) == ["status_id"]
    assert records.get_task(session, created["id"], today)["status_id"] == seed.cs_new


def test_reassignment_is_recorded_and_published(db, session, links, today, seed):
    created = ticket(db, links, today, seed, assignee_id=5)
    db.clear_events()
    records.update_task(db, created["id"], {"assignee_id": 6}, 7, links, today)
    records.update_task(db, created["id"], {"assignee_id": None}, 7, links, today)
    history = records.get_task(session, created["id"], today)["history"]
    assert [(h["field"], h["from"], h["to"]) for h in history] == [
        ("assignee_id", 5, 6),
        ("assignee_id", 6, None),
    ]
    assert db.event_types() == ["task_updated", "task_assigned"] * 2
    assert [(e["from_assignee_id"], e["to_assignee_id"]) for e in db.events_of("task_assigned")] == [
        (5, 6),
        (6, None),
    ]


def test_a_new_type_moves_the_task_to_its_first_status(db, session, links, today, seed):
    created = records.create_task(
        db, {"title": "Misc", "task_type_id": seed.general, "status_id": seed.in_progress}, 5, links, today
    )
    moved = records.update_task(db, created["id"], {"task_type_id": seed.customer_service}, 5, links, today)
    assert (moved["task_type_id"], moved["status_id"]) == (seed.customer_service, seed.cs_new)
    assert [(h["field"], h["from"], h["to"]) for h in moved["history"]] == [
        ("task_type_id", seed.general, seed.customer_service),
        ("status_id", seed.in_progress, seed.cs_new),
    ]
    both = records.update_task(
        db, created["id"], {"task_type_id": seed.general, "status_id": seed.done}, 5, links, today
    )
    assert (both["task_type_id"], both["status_id"], both["open"]) == (seed.general, seed.done, False)


def test_plain_changes_and_no_op_patches(db, session, links, today, seed):
    created = ticket(db, links, today, seed)
    db.clear_events()
    changed = records.update_task(
        db,
        created["id"],
        {"title": "Reprint (2)", "due_date": "2026-06-01", "priority": "urgent", "client_id": 101},
        5,
        links,
        today,
    )
    assert (changed["title"], changed["priority"], changed["client_id"]) == ("Reprint (2)", "urgent", 101)
    assert changed["overdue"] is True and changed["history"] == []
    assert db.events_of("task_updated")[0]["changed"] == [
        "client_id",
        "due_date",
        "overdue",
        "priority",
        "title",
    ]
    db.clear_events()
    assert records.update_task(db, created["id"], {}, 5, links, today)["title"] == "Reprint (2)"
    assert records.update_task(db, created["id"], {"title": "Reprint (2)"}, 5, links, today)["id"]
    assert db.events == []
    cleared = records.update_task(db, created["id"], {"due_date": None}, 5, links, today)
    assert cleared["due_date"] is None and cleared["overdue"] is False
    with pytest.raises(ValidationError) as err:
        records.update_task(db, created["id"], {"status_id": None}, 5, links, today)
    assert list(err.value.fields) == ["status_id"]


@pytest.mark.parametrize(
    "payload, error, field",
    [
        ({"title": "", "task_type_id": 2}, ValidationError, "title"),
        ({"title": "   ", "task_type_id": 2}, ValidationError, "title"),
        ({"task_type_id": 2}, ValidationError, "title"),
        ({"title": "x" * 201, "task_type_id": 2}, ValidationError, "title"),
        ({"title": "T"}, ValidationError, "task_type_id"),
        ({"title": "T", "task_type_id": 999}, NotFound, "task_type_id"),
        ({"title": "T", "task_type_id": "two"}, ValidationError, "task_type_id"),
        ({"title": "T", "task_type_id": 2, "status_id": 999}, NotFound, "status_id"),
        ({"title": "T", "task_type_id": 2, "assignee_id": 99}, NotFound, "assignee_id"),
        ({"title": "T", "task_type_id": 2, "client_id": 999}, NotFound, "client_id"),
        ({"title": "T", "task_type_id": 2, "session_id": 0}, ValidationError, "session_id"),
        ({"title": "T", "task_type_id": 2, "due_date": "next tuesday"}, ValidationError, "due_date"),
        ({"title": "T", "task_type_id": 2, "due_date": "2026-02-30"}, ValidationError, "due_date"),
        ({"title": "T", "task_type_id": 2, "due_date": 20260601}, ValidationError, "due_date"),
        ({"title": "T", "task_type_id": 2, "priority": "asap"}, ValidationError, "priority"),
        ({"title": "T", "task_type_id": 2, "colour": "red"}, ValidationError, "colour"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(db, session, links, today, payload, error, field):
    with pytest.raises(error) as err:
        records.create_task(db, payload, 5, links, today)
    assert field in err.value.fields, err.value.fields
    assert count(session) == 0 and db.events == []


def test_bad_patches_change_nothing(db, session, links, today, seed):
    created = ticket(db, links, today, seed, assignee_id=5)
    session.commit()
    db.clear_events()
    for payload, field in (
        ({"assignee_id": 99}, "assignee_id"),
        ({"client_id": 999}, "client_id"),
        ({"task_type_id": 999}, "task_type_id"),
        ({"title": ""}, "title"),
        ({"due_date": "soon"}, "due_date"),
        ({"title": None}, "title"),
    ):
        with pytest.raises((ValidationError, NotFound)) as err:
            records.update_task(db, created["id"], payload, 5, links, today)
        assert field in err.value.fields
    session.rollback()
    assert records.get_task(session, created["id"], today)["history"] == []
    assert db.events == []
    with pytest.raises(NotFound) as err:
        records.update_task(db, 999, {"title": "X"}, 5, links, today)
    assert err.value.fields == {"id": "not found"}


def test_inactive_types_and_types_without_statuses_take_no_new_tasks(db, session, links, today, seed):
    task_types.update_type(session, seed.general, {"active": False})
    with pytest.raises(Unprocessable) as err:
        records.create_task(db, {"title": "T", "task_type_id": seed.general}, 5, links, today)
    assert err.value.fields == {"task_type_id": "inactive"}
    empty = task_types.create_type(session, {"name": "Empty"})
    with pytest.raises(Unprocessable) as err:
        records.create_task(db, {"title": "T", "task_type_id": empty["id"]}, 5, links, today)
    assert err.value.fields == {"task_type_id": "has no statuses"}


def test_delete_removes_the_task_and_its_history(db, session, links, today, seed):
    created = ticket(db, links, today, seed, assignee_id=5)
    records.update_task(db, created["id"], {"assignee_id": 6}, 5, links, today)
    db.clear_events()
    assert records.delete_task(db, created["id"], 5) == {"deleted": created["id"]}
    assert count(session) == 0 and count(session, TaskHistory) == 0
    assert db.events_of("task_deleted") == [
        {
            "task_id": created["id"],
            "task_type_id": seed.customer_service,
            "client_id": None,
            "session_id": None,
            "invoice_id": None,
            "deleted_by": 5,
        }
    ]
    with pytest.raises(NotFound):
        records.get_task(session, created["id"], today)


def test_tasks_created_by_services_keep_their_source_and_dedupe(db, session, links, today, seed):
    payload = {"title": "Call about the order", "task_type_id": seed.general, "client_id": 100}
    first = records.create_task_for_service(
        db, payload, None, links, today, "communications.trigger:3", dedupe_key="trigger-run-17"
    )
    again = records.create_task_for_service(
        db, payload, None, links, today, "communications.trigger:3", dedupe_key="trigger-run-17"
    )
    assert first == again and first["source"] == "communications.trigger:3"
    assert count(session) == 1 and db.event_types() == ["task_created"]
    with pytest.raises(ValidationError) as err:
        records.create_task_for_service(db, payload, None, links, today, " ")
    assert list(err.value.fields) == ["source"]
    with pytest.raises(ValidationError) as err:
        records.create_task_for_service(db, payload, None, links, today, "x", dedupe_key="")
    assert list(err.value.fields) == ["dedupe_key"]


def test_overdue_follows_the_studio_date_and_the_open_flag(db, links, seed):
    today = dt.date(2026, 6, 15)
    due = ticket(db, links, today, seed, due_date="2026-06-14")
    assert due["overdue"] is True
    assert ticket(db, links, today, seed, due_date="2026-06-15")["overdue"] is False
    closed = records.update_task(db, due["id"], {"status_id": seed.cs_resolved}, 5, links, today)
    assert closed["overdue"] is False
