"""The tasks service in a nameko container over RabbitMQ and PostgreSQL, called the way the
gateway and other services call it; staff and client ids checked by RPC."""

import sqlalchemy as sa
from nameko.standalone.rpc import ClusterRpcProxy
import pytest

from clients.service import ClientsService
from proofsheet_shared import testing
from proofsheet_shared.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Unavailable,
    Unprocessable,
    ValidationError,
)
from tasks.service import TasksService

from .conftest import FakeStaff

GENERAL, CUSTOMER_SERVICE = 1, 2
CS_NEW, CS_IN_PROGRESS, CS_WAITING, CS_RESOLVED = 4, 5, 6, 7


def scalar(url, sql, **params):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()
    finally:
        engine.dispose()


def test_a_ticket_through_its_statuses_over_rpc(tasks_container, rpc):
    assert rpc.tasks.ping() == "pong"
    ticket = rpc.tasks.create_task(
        {
            "title": "Reprint: wrong crop",
            "task_type_id": CUSTOMER_SERVICE,
            "client_id": 100,
            "assignee_id": 6,
            "due_date": "2026-01-02",
        }
    )
    assert (ticket["status_id"], ticket["open"], ticket["overdue"]) == (CS_NEW, True, True)
    for status in (CS_IN_PROGRESS, CS_WAITING):
        rpc.tasks.update_task(ticket["id"], {"status_id": status})
    rpc.tasks.update_task(ticket["id"], {"assignee_id": 7})
    closed = rpc.tasks.advance_status({"ids": [ticket["id"]]})["items"][0]
    assert (closed["ok"], closed["status_id"], closed["open"]) == (True, CS_RESOLVED, False)
    shown = rpc.tasks.get_task(ticket["id"])
    assert [(h["field"], h["from"], h["to"], h["user_id"]) for h in shown["history"]] == [
        ("status_id", CS_NEW, CS_IN_PROGRESS, 5),
        ("status_id", CS_IN_PROGRESS, CS_WAITING, 5),
        ("assignee_id", 6, 7, 5),
        ("status_id", CS_WAITING, CS_RESOLVED, 5),
    ]
    assert shown["open"] is False and shown["overdue"] is False
    assert rpc.tasks.list_tasks({"client_id": "100"})["items"][0]["id"] == ticket["id"]
    assert rpc.tasks.list_tasks({"client_id": "100", "open": "true"})["items"] == []
    assert rpc.tasks.client_references(100) == {"open tasks": 0}


def test_domain_errors_arrive_as_their_own_type_and_nothing_is_written(tasks_container, rpc, pg_url):
    cases = [
        ({"title": "T", "task_type_id": 99}, NotFound, "task_type_id"),
        ({"title": "T", "task_type_id": GENERAL, "status_id": CS_NEW}, ValidationError, "status_id"),
        ({"title": "T", "task_type_id": GENERAL, "status_id": 99}, NotFound, "status_id"),
        ({"title": "T", "task_type_id": GENERAL, "assignee_id": 99}, NotFound, "assignee_id"),
        ({"title": "T", "task_type_id": GENERAL, "client_id": 999}, NotFound, "client_id"),
        ({"title": "", "task_type_id": GENERAL}, ValidationError, "title"),
        ({"title": "T", "task_type_id": GENERAL, "due_date": "31/12/2026"}, ValidationError, "due_date"),
    ]
    for payload, error, field in cases:
        with pytest.raises(error) as err:
            rpc.tasks.create_task(payload)
        assert field in err.value.fields, (payload, err.value.fields)
    empty = rpc.tasks.create_task_type({"name": "Empty"})
    with pytest.raises(Unprocessable):
        rpc.tasks.create_task({"title": "T", "task_type_id": empty["id"]})
    assert scalar(pg_url, "SELECT count(*) FROM tasks") == 0
    assert scalar(pg_url, "SELECT count(*) FROM outbox_events") == 0


def test_permissions_travel_in_the_context(tasks_container, tasks_config):
    context = testing.rpc_context(user_id=6, permissions=["tasks.read", "tasks.write"])
    with ClusterRpcProxy(tasks_config, context_data=context) as clerk:
        task = clerk.tasks.create_task({"title": "T", "task_type_id": GENERAL})
        assert task["created_by"] == 6
        with pytest.raises(Forbidden) as err:
            clerk.tasks.create_task_type({"name": "Nope"})
        assert err.value.fields == {"permission": "tasks.configure"}


def test_the_clients_service_being_down_is_unavailable_naming_it(start_service, tasks_config, rpc, pg_url):
    start_service(FakeStaff, tasks_config)
    start_service(TasksService, tasks_config)
    with pytest.raises(Unavailable) as err:
        rpc.tasks.create_task({"title": "T", "task_type_id": GENERAL, "client_id": 100})
    assert err.value.fields == {"service": "clients"}
    assert rpc.tasks.create_task({"title": "No client", "task_type_id": GENERAL})["client_id"] is None
    assert scalar(pg_url, "SELECT count(*) FROM tasks") == 1


def test_other_services_create_tasks_once_per_dedupe_key(tasks_container, tasks_config):
    """Another service's call carries no user permissions (an event's context) and may be
    retried, even concurrently."""
    with ClusterRpcProxy(tasks_config, context_data={"user_id": None, "request_id": "evt"}) as service:
        payload = {"title": "Thank-you call", "task_type_id": GENERAL, "client_id": 424242, "assignee_id": 5}
        replies = [
            service.tasks.create_task_for_service.call_async(
                payload, "communications.trigger:9", "trigger:9:client:424242"
            )
            for _ in range(6)
        ]
        made = [reply.result() for reply in replies]
        assert len({task["id"] for task in made}) == 1
        assert made[0]["source"] == "communications.trigger:9" and made[0]["client_id"] == 424242
        with pytest.raises(Forbidden):
            service.tasks.create_task(payload)


def test_concurrent_bulk_advances_move_each_task_once_per_call(tasks_container, rpc):
    """Two bulk advances over the same tasks, listed in opposite orders: rows are locked in id
    order, so they queue instead of deadlocking, and every task moves exactly twice."""
    ids = [
        rpc.tasks.create_task({"title": f"t{i}", "task_type_id": CUSTOMER_SERVICE})["id"] for i in range(60)
    ]
    first = rpc.tasks.advance_status.call_async({"ids": ids})
    second = rpc.tasks.advance_status.call_async({"ids": list(reversed(ids))})
    assert first.result()["advanced"] == second.result()["advanced"] == 60
    statuses = {task["status_id"] for task in rpc.tasks.list_tasks({"limit": 500})["items"]}
    assert statuses == {CS_WAITING}
    history = rpc.tasks.get_task(ids[0])["history"]
    assert [(h["from"], h["to"]) for h in history] == [(CS_NEW, CS_IN_PROGRESS), (CS_IN_PROGRESS, CS_WAITING)]


def test_types_and_statuses_over_rpc(tasks_container, rpc):
    kind = rpc.tasks.create_task_type(
        {"name": "Follow-up call", "statuses": [{"name": "To call"}, {"name": "Called", "closed": True}]}
    )
    assert [s["name"] for s in rpc.tasks.list_task_statuses({"task_type_id": kind["id"]})["items"]] == [
        "To call",
        "Called",
    ]
    added = rpc.tasks.create_task_status({"task_type_id": kind["id"], "name": "No answer", "sort_order": 15})
    assert [s["id"] for s in rpc.tasks.get_task_type(kind["id"])["statuses"]][1] == added["id"]
    with pytest.raises(Conflict):
        rpc.tasks.create_task_type({"name": "follow-up CALL"})
    rpc.tasks.update_task_status(added["id"], {"name": "Voicemail"})
    assert rpc.tasks.delete_task_status(added["id"]) == {"deleted": added["id"]}
    rpc.tasks.update_task_type(kind["id"], {"active": False})
    assert rpc.tasks.delete_task_type(kind["id"]) == {"deleted": kind["id"]}
    assert [t["name"] for t in rpc.tasks.list_task_types()["items"]] == ["General", "Customer service"]


@pytest.fixture
def clients_db(alembic_ini):
    from pathlib import Path

    clients_ini = Path(alembic_ini).parents[1] / "clients" / "alembic.ini"
    with testing.temporary_postgres_database("tasks_clients") as url:
        testing.upgrade(clients_ini, url)
        yield url


def test_the_real_clients_service_refuses_to_delete_a_client_with_open_tasks(
    start_service, tasks_config, rpc, clients_db
):
    start_service(FakeStaff, tasks_config)
    start_service(TasksService, tasks_config)
    start_service(
        ClientsService, dict(tasks_config, DATABASE_URL=clients_db, CLIENT_REFERENCE_SERVICES="tasks")
    )
    client = rpc.clients.create_client({"last_name": "Held"})
    task = rpc.tasks.create_task({"title": "Call", "task_type_id": GENERAL, "client_id": client["id"]})
    with pytest.raises(Conflict) as err:
        rpc.clients.delete_client(client["id"])
    assert err.value.fields == {"tasks.open tasks": "1"}
    assert "1 open tasks" in err.value.message
    rpc.tasks.update_task(task["id"], {"status_id": 3})  # Done: closed tasks hold nothing
    assert rpc.clients.delete_client(client["id"]) == {"deleted": client["id"]}
