"""Task types and their ordered statuses: create, change, delete, and the refusals."""

import pytest

from proofsheet_shared.errors import Conflict, NotFound, ValidationError
from tasks import records, task_types


def test_seeded_types_and_statuses_are_ordered(session, seed):
    listed = task_types.list_types(session)["items"]
    assert [(t["name"], t["customer_service"]) for t in listed] == [
        ("General", False),
        ("Customer service", True),
    ]
    general = listed[0]
    assert [(s["name"], s["closed"]) for s in general["statuses"]] == [
        ("To do", False),
        ("In progress", False),
        ("Done", True),
    ]
    assert [s["id"] for s in listed[1]["statuses"]] == [
        seed.cs_new,
        seed.cs_in_progress,
        seed.cs_waiting,
        seed.cs_resolved,
    ]


def test_create_type_with_statuses_in_order(session):
    created = task_types.create_type(
        session,
        {
            "name": "  Customer service — reprint ",
            "customer_service": True,
            "description": "Reprints",
            "statuses": [{"name": "Reported"}, {"name": "Ordered"}, {"name": "Delivered", "closed": True}],
        },
    )
    assert created["name"] == "Customer service — reprint"
    assert created["customer_service"] is True and created["active"] is True
    assert [(s["name"], s["sort_order"], s["closed"]) for s in created["statuses"]] == [
        ("Reported", 10, False),
        ("Ordered", 20, False),
        ("Delivered", 30, True),
    ]
    assert created["sort_order"] == 30  # after the seeded types (10, 20)
    assert task_types.get_type_dict(session, created["id"]) == created


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({}, "name"),
        ({"name": "T", "statuses": [{"name": "A"}, {"name": "a"}]}, "statuses.1.name"),
        ({"name": "T", "statuses": [{"closed": True}]}, "statuses.0.name"),
        ({"name": "T", "surprise": 1}, "surprise"),
    ],
)
def test_bad_type_input_names_the_field(session, payload, field):
    with pytest.raises(ValidationError) as err:
        task_types.create_type(session, payload)
    assert field in err.value.fields
    assert len(task_types.list_types(session)["items"]) == 2


def test_type_names_are_unique_ignoring_case_and_accents(session):
    task_types.create_type(session, {"name": "Retouche"})
    with pytest.raises(Conflict) as err:
        task_types.create_type(session, {"name": "RETOUCHÉ"})
    assert err.value.fields == {"name": "already exists"}


def test_update_type_and_its_refusals(session, seed):
    changed = task_types.update_type(session, seed.general, {"name": "To-dos", "active": False})
    assert (changed["name"], changed["active"]) == ("To-dos", False)
    with pytest.raises(Conflict):
        task_types.update_type(session, seed.general, {"name": "customer SERVICE"})
    with pytest.raises(ValidationError) as err:
        task_types.update_type(session, seed.general, {"statuses": [{"name": "X"}]})
    assert list(err.value.fields) == ["statuses"]
    with pytest.raises(NotFound):
        task_types.update_type(session, 999, {"name": "X"})


def test_delete_type_refused_while_tasks_use_it(db, session, links, today):
    kind = task_types.create_type(session, {"name": "Follow-up call", "statuses": [{"name": "Call"}]})
    task = records.create_task(db, {"title": "Call back", "task_type_id": kind["id"]}, 5, links, today)
    with pytest.raises(Conflict) as err:
        task_types.delete_type(session, kind["id"])
    assert err.value.fields == {"id": "in use by 1 tasks"}
    records.delete_task(db, task["id"], 5)
    assert task_types.delete_type(session, kind["id"]) == {"deleted": kind["id"]}
    assert task_types.list_statuses(session, {"task_type_id": kind["id"]})["items"] == []


def test_statuses_create_order_and_filter(session, seed):
    added = task_types.create_status(
        session, {"task_type_id": seed.general, "name": "Archived", "closed": True}
    )
    assert (added["sort_order"], added["closed"]) == (40, True)
    early = task_types.create_status(
        session, {"task_type_id": seed.general, "name": "Triage", "sort_order": 5}
    )
    listed = task_types.list_statuses(session, {"task_type_id": seed.general})["items"]
    assert [s["name"] for s in listed] == ["Triage", "To do", "In progress", "Done", "Archived"]
    assert listed[0] == early
    assert len(task_types.list_statuses(session, {})["items"]) == 9
    # the same name in another type is fine, in the same type it is not
    task_types.create_status(session, {"task_type_id": seed.customer_service, "name": "Triage"})
    with pytest.raises(Conflict) as err:
        task_types.create_status(session, {"task_type_id": seed.general, "name": "triage"})
    assert err.value.fields == {"name": "already exists"}


@pytest.mark.parametrize(
    "payload, error, field",
    [
        ({"name": "X"}, ValidationError, "task_type_id"),
        ({"task_type_id": 999, "name": "X"}, NotFound, "task_type_id"),
        ({"task_type_id": 1, "name": " "}, ValidationError, "name"),
        ({"task_type_id": 1, "name": "X", "closed": "maybe"}, ValidationError, "closed"),
        ({"task_type_id": 1, "name": "X", "sort_order": -1}, ValidationError, "sort_order"),
    ],
)
def test_bad_status_input(session, payload, error, field):
    with pytest.raises(error) as err:
        task_types.create_status(session, payload)
    assert field in err.value.fields


def test_marking_a_status_closed_closes_its_tasks(db, session, links, today, seed):
    task = records.create_task(
        db,
        {"title": "Sort prints", "task_type_id": seed.general, "status_id": seed.in_progress},
        5,
        links,
        today,
    )
    task_types.update_status(session, seed.in_progress, {"closed": True})
    closed = records.get_task(session, task["id"], today)
    assert closed["open"] is False and closed["closed_at"] is not None
    task_types.update_status(session, seed.in_progress, {"closed": False, "name": "Doing"})
    reopened = records.get_task(session, task["id"], today)
    assert reopened["open"] is True and reopened["closed_at"] is None
    with pytest.raises(ValidationError) as err:
        task_types.update_status(session, seed.in_progress, {"task_type_id": seed.customer_service})
    assert list(err.value.fields) == ["task_type_id"]
    with pytest.raises(Conflict):
        task_types.update_status(session, seed.in_progress, {"name": "done"})


def test_delete_status_refused_while_tasks_use_it(db, session, links, today, seed):
    records.create_task(db, {"title": "Prints", "task_type_id": seed.general}, 5, links, today)
    with pytest.raises(Conflict) as err:
        task_types.delete_status(session, seed.todo)
    assert err.value.fields == {"id": "in use by 1 tasks"}
    assert task_types.delete_status(session, seed.in_progress) == {"deleted": seed.in_progress}
    with pytest.raises(NotFound):
        task_types.delete_status(session, seed.in_progress)
