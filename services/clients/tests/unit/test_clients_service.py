"""The nameko service class as a thin shell: permissions, and the calls it makes, with
nameko's ``worker_factory`` (dependencies replaced, no broker)."""

import types
from unittest import mock

import pytest
from nameko.testing.services import worker_factory

from clients.service import ClientsService
from proofsheet_shared.context import Identity
from proofsheet_shared.errors import Conflict, Forbidden, NotFound

UTC_STUDIO = types.SimpleNamespace(time_zone="UTC", currency="usd", get=lambda: {"time_zone": "UTC"})


def make_service(db, permissions=("*",), config=None, cluster=None):
    deps = {
        "db": db,
        "caller": Identity(5, frozenset(permissions), "req-1"),
        "studio": UTC_STUDIO,
        "cluster": cluster if cluster is not None else mock.MagicMock(),
    }
    if "config" in {
        name for name in dir(ClientsService) if getattr(ClientsService, name).__class__.__name__ == "Config"
    }:
        deps["config"] = dict(config or {})
    return worker_factory(ClientsService, **deps)


def test_create_get_update_search(db):
    service = make_service(db)
    created = service.create_client(
        {"first_name": "mary", "last_name": "smith", "phones": [{"number": "555 1234"}]}
    )
    assert created["first_name"] == "Mary" and created["client_number"] == "1000"
    assert service.get_client(created["id"])["last_name"] == "Smith"
    assert service.get_clients([created["id"], 99]) == [service.get_client(created["id"])]
    service.update_client(created["id"], {"notes": "n"})
    assert [c["id"] for c in service.search_clients({"q": "555-12"})["items"]] == [created["id"]]
    assert db.event_types() == ["client_created", "client_updated"]


def test_family_lookups_and_settings(db):
    service = make_service(db)
    client = service.create_client({"last_name": "Doe"})
    member = service.add_family_member(client["id"], {"first_name": "Jo", "secondary_contact": True})
    assert service.list_family_members(client["id"])["items"] == [member]
    assert service.get_client(client["id"])["secondary_contact"]["first_name"] == "Jo"
    service.update_family_member(client["id"], member["id"], {"first_name": "Joanne"})
    service.delete_family_member(client["id"], member["id"])
    group = service.create_lookup("client-groups", {"name": "Team"})
    assert service.list_lookups("client-groups") == {"items": [group], "next_cursor": None}
    service.update_lookup("client-groups", group["id"], {"active": False})
    service.delete_lookup("client-groups", group["id"])
    assert service.update_settings({"client_number_prefix": "S"})["client_number_prefix"] == "S"
    assert service.get_settings()["client_number_prefix"] == "S"


@pytest.mark.parametrize(
    "method, args, permission",
    [
        ("create_client", ({"last_name": "X"},), "clients.write"),
        ("update_client", (1, {}), "clients.write"),
        ("get_client", (1,), "clients.read"),
        ("search_clients", ({},), "clients.read"),
        ("delete_client", (1,), "clients.delete"),
        ("add_family_member", (1, {}), "clients.write"),
        ("list_lookups", ("phone-labels",), "clients.read"),
        ("create_lookup", ("phone-labels", {"name": "Fax"}), "clients.configure"),
        ("update_settings", ({},), "clients.configure"),
    ],
)
def test_permissions_are_required(db, method, args, permission):
    service = make_service(db, permissions=("something.else",))
    with pytest.raises(Forbidden) as err:
        getattr(service, method)(*args)
    assert err.value.fields == {"permission": permission}
    assert db.events == []


def test_read_permission_does_not_allow_writes(db):
    reader = make_service(db, permissions=("clients.read",))
    assert reader.search_clients({})["items"] == []
    with pytest.raises(Forbidden):
        reader.create_client({"last_name": "X"})


def test_delete_asks_the_configured_services_for_references(db):
    cluster = mock.MagicMock()
    cluster.invoicing.client_references.return_value = {"invoices": 0}
    cluster.scheduling.client_references.return_value = {"sessions": 3}
    service = make_service(db, cluster=cluster, config={"CLIENT_REFERENCE_SERVICES": "invoicing, scheduling"})
    client = service.create_client({"last_name": "Doe"})
    with pytest.raises(Conflict) as err:
        service.delete_client(client["id"])
    assert err.value.fields == {"scheduling.sessions": 3}
    cluster.invoicing.client_references.assert_called_once_with(client["id"])

    cluster.scheduling.client_references.return_value = {"sessions": 0}
    assert service.delete_client(client["id"]) == {"deleted": client["id"]}
    with pytest.raises(NotFound):
        service.get_client(client["id"])


def test_delete_of_an_unknown_client_asks_nobody(db):
    cluster = mock.MagicMock()
    service = make_service(db, cluster=cluster, config={"CLIENT_REFERENCE_SERVICES": "invoicing"})
    with pytest.raises(NotFound):
        service.delete_client(404)
    assert not cluster.mock_calls


def test_no_reference_services_configured(db):
    cluster = mock.MagicMock()
    service = make_service(db, cluster=cluster, config={})
    client = service.create_client({"last_name": "Doe"})
    assert service.delete_client(client["id"]) == {"deleted": client["id"]}
    assert not cluster.mock_calls
