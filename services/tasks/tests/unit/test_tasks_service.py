"""The nameko service class as a thin shell: permissions, the studio's date, and the calls it
makes to the staff and clients services, with nameko's ``worker_factory`` (no broker)."""

import datetime as dt
import types
from unittest import mock

import pytest
from nameko.testing.services import worker_factory

from proofsheet_shared.context import Identity
from proofsheet_shared.errors import Forbidden, NotFound
from tasks.service import TasksService

UTC_STUDIO = types.SimpleNamespace(time_zone="UTC", currency="usd", get=lambda: {"time_zone": "UTC"})


def make_cluster(staff=(5,), clients=(100,)):
    cluster = mock.MagicMock()
    cluster.staff.staff_exists.side_effect = lambda user_id: user_id in staff
    cluster.clients.get_clients.side_effect = lambda ids: [{"id": i} for i in ids if i in clients]
    return cluster


def make_service(db, permissions=("*",), cluster=None, user_id=5, studio=UTC_STUDIO):
    return worker_factory(
        TasksService,
        db=db,
        caller=Identity(user_id, frozenset(permissions), "req-1"),
        studio=studio,
        cluster=cluster if cluster is not None else make_cluster(),
    )


def test_create_read_update_list_advance_delete(db, seed):
    cluster = make_cluster()
    service = make_service(db, cluster=cluster)
    created = service.create_task(
        {"title": "Reprint", "task_type_id": seed.customer_service, "assignee_id": 5, "client_id": 100}
    )
    cluster.staff.staff_exists.assert_called_once_with(5)
    cluster.clients.get_clients.assert_called_once_with([100])
    assert created["created_by"] == 5
    assert service.get_task(created["id"])["history"] == []
    service.update_task(created["id"], {"priority": "high"})
    assert [t["id"] for t in service.list_tasks({"assignee_id": "5", "open": "true"})["items"]] == [
        created["id"]
    ]
    assert service.advance_status({"ids": [created["id"]]})["advanced"] == 1
    assert service.client_references(100) == {"open tasks": 1}
    assert service.session_references(1) == {"open tasks": 0}
    assert service.invoice_references(1) == {"open tasks": 0}
    assert service.count_open_tasks("client", 100) == 1
    assert service.delete_task(created["id"]) == {"deleted": created["id"]}
    assert db.event_types() == [
        "task_created",
        "task_assigned",
        "task_updated",
        "task_status_changed",
        "task_deleted",
    ]


def test_unknown_staff_and_clients_are_asked_of_their_services(db, seed):
    service = make_service(db)
    with pytest.raises(NotFound) as err:
        service.create_task({"title": "T", "task_type_id": seed.general, "assignee_id": 6})
    assert list(err.value.fields) == ["assignee_id"]
    with pytest.raises(NotFound) as err:
        service.create_task({"title": "T", "task_type_id": seed.general, "client_id": 101})
    assert list(err.value.fields) == ["client_id"]


def test_services_create_tasks_without_a_user_and_their_client_ids_are_trusted(db, seed):
    cluster = make_cluster()
    service = make_service(db, permissions=(), user_id=None, cluster=cluster)
    created = service.create_task_for_service(
        {"title": "Follow up", "task_type_id": seed.general, "client_id": 555, "assignee_id": 5},
        "communications.trigger:4",
        "run-1",
    )
    assert (created["source"], created["client_id"], created["created_by"]) == (
        "communications.trigger:4",
        555,
        None,
    )
    cluster.clients.get_clients.assert_not_called()
    with pytest.raises(NotFound):
        service.create_task_for_service({"title": "F", "task_type_id": seed.general, "assignee_id": 9}, "x")


def test_overdue_uses_the_studio_time_zone(db, seed):
    studio = types.SimpleNamespace(time_zone="Pacific/Kiritimati", currency="usd", get=lambda: {})
    service = make_service(db, studio=studio)
    kiritimati_today = dt.datetime.now(dt.timezone(dt.timedelta(hours=14))).date()
    created = service.create_task(
        {
            "title": "T",
            "task_type_id": seed.general,
            "due_date": (kiritimati_today - dt.timedelta(days=1)).isoformat(),
        }
    )
    assert created["overdue"] is True
    edge = service.create_task(
        {"title": "T", "task_type_id": seed.general, "due_date": kiritimati_today.isoformat()}
    )
    assert edge["overdue"] is False


@pytest.mark.parametrize(
    "method, args, permission",
    [
        ("create_task", ({"title": "X", "task_type_id": 1},), "tasks.write"),
        ("update_task", (1, {}), "tasks.write"),
        ("delete_task", (1,), "tasks.write"),
        ("advance_status", ({"ids": [1]},), "tasks.write"),
        ("get_task", (1,), "tasks.read"),
        ("list_tasks", ({},), "tasks.read"),
        ("list_task_types", (), "tasks.read"),
        ("get_task_type", (1,), "tasks.read"),
        ("list_task_statuses", ({},), "tasks.read"),
        ("create_task_type", ({"name": "X"},), "tasks.configure"),
        ("update_task_type", (1, {}), "tasks.configure"),
        ("delete_task_type", (1,), "tasks.configure"),
        ("create_task_status", ({"task_type_id": 1, "name": "X"},), "tasks.configure"),
        ("update_task_status", (1, {}), "tasks.configure"),
        ("delete_task_status", (1,), "tasks.configure"),
    ],
)
def test_permissions_are_required(db, method, args, permission):
    service = make_service(db, permissions=("tasks.nothing",))
    with pytest.raises(Forbidden) as err:
        getattr(service, method)(*args)
    assert err.value.fields == {"permission": permission}
    assert db.events == []


def test_staff_with_write_but_not_configure(db, seed):
    service = make_service(db, permissions=("tasks.read", "tasks.write"))
    assert service.list_task_types()["items"]
    assert service.create_task({"title": "T", "task_type_id": seed.general})["id"]
    with pytest.raises(Forbidden):
        service.create_task_status({"task_type_id": seed.general, "name": "Nope"})
