"""The clients service in a nameko container over RabbitMQ and PostgreSQL, called the way
the gateway calls it (cluster RPC with the caller's identity in the context data)."""

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from clients.service import ClientsService
from proofsheet_shared import testing
from proofsheet_shared.entrypoints import rpc as domain_rpc
from proofsheet_shared.errors import Conflict, Forbidden, NotFound, Unavailable, ValidationError


def test_create_read_search_over_rpc(clients_container, rpc):
    assert rpc.clients.ping() == "pong"
    created = rpc.clients.create_client(
        {
            "first_name": "mary ann",
            "last_name": "mcDonald",
            "emails": "mary@example.com",
            "phones": [{"label": "mobile", "number": "(555) 123-4567"}],
        }
    )
    assert (created["first_name"], created["client_number"]) == ("Mary Ann", "1000")
    assert rpc.clients.get_client(created["id"])["phones"] == [
        {"label": "Mobile", "number": "(555) 123-4567"}
    ]
    for q in ("mary", "mcdonald mary", "123-45", "mary@example", "1000"):
        assert [c["id"] for c in rpc.clients.search_clients({"q": q})["items"]] == [created["id"]], q


def test_domain_errors_arrive_as_their_own_type(clients_container, rpc, clients_config):
    with pytest.raises(ValidationError) as err:
        rpc.clients.create_client({"last_name": "X", "emails": ["ok@example.com", "bad"]})
    assert list(err.value.fields) == ["emails.1"]
    with pytest.raises(NotFound) as err:
        rpc.clients.get_client(424242)
    assert err.value.fields == {"id": "not found"}
    with pytest.raises(NotFound) as err:
        rpc.clients.create_client({"last_name": "X", "status_id": 999})
    assert list(err.value.fields) == ["status_id"]
    rpc.clients.create_client({"last_name": "X", "client_number": "M-1"})
    with pytest.raises(Conflict) as err:
        rpc.clients.create_client({"last_name": "Y", "client_number": "M-1"})
    assert list(err.value.fields) == ["client_number"]
    with ClusterRpcProxy(
        clients_config, context_data=testing.rpc_context(permissions=["clients.read"])
    ) as reader:
        assert reader.clients.search_clients({})["items"]
        with pytest.raises(Forbidden) as err:
            reader.clients.create_client({"last_name": "Z"})
        assert err.value.fields == {"permission": "clients.write"}


def test_the_database_is_rolled_back_when_a_call_fails(clients_container, rpc):
    rpc.clients.create_client({"last_name": "Keep", "client_number": "K-1"})
    with pytest.raises(Conflict):
        rpc.clients.create_client({"last_name": "Lose", "client_number": "K-1"})
    assert [c["last_name"] for c in rpc.clients.search_clients({})["items"]] == ["Keep"]
    assert rpc.clients.get_settings()["next_client_number"] == 1000


def test_concurrent_creates_get_distinct_gap_free_numbers(clients_container, rpc):
    replies = [
        rpc.clients.create_client.call_async({"first_name": f"Parallel{i}", "last_name": "Test"})
        for i in range(30)
    ]
    numbers = sorted(int(reply.result()["client_number"]) for reply in replies)
    assert numbers == list(range(1000, 1030))
    assert rpc.clients.get_settings()["next_client_number"] == 1030


def test_concurrent_creates_with_one_manual_number_one_wins(clients_container, rpc):
    replies = [
        rpc.clients.create_client.call_async({"last_name": f"Racer{i}", "client_number": "SAME-1"})
        for i in range(12)
    ]
    won, conflicts = [], []
    for reply in replies:
        try:
            won.append(reply.result())
        except Conflict as exc:
            conflicts.append(exc)
    assert len(won) == 1 and len(conflicts) == 11
    assert all(list(c.fields) == ["client_number"] for c in conflicts)
    assert [c["client_number"] for c in rpc.clients.search_clients({"q": "racer"})["items"]] == ["SAME-1"]


class FakeInvoicing:
    """Stands in for a service that holds references to clients."""

    name = "fakeinvoicing"

    @domain_rpc
    def client_references(self, client_id):
        return {"invoices": 2, "credit_memos": 0}


def test_delete_is_refused_while_another_service_holds_references(start_service, clients_config, rpc):
    start_service(FakeInvoicing, clients_config)
    start_service(ClientsService, dict(clients_config, CLIENT_REFERENCE_SERVICES="fakeinvoicing"))
    client = rpc.clients.create_client({"last_name": "Held"})
    with pytest.raises(Conflict) as err:
        rpc.clients.delete_client(client["id"])
    # nameko serialises exception arguments with str() for anything but str, dict and list
    assert err.value.fields == {"fakeinvoicing.invoices": "2"}
    assert "2 invoices" in err.value.message
    assert rpc.clients.get_client(client["id"])["id"] == client["id"]


def test_delete_is_unavailable_while_a_reference_service_is_down(start_service, clients_config, rpc):
    start_service(ClientsService, dict(clients_config, CLIENT_REFERENCE_SERVICES="fakeinvoicing"))
    client = rpc.clients.create_client({"last_name": "Unsure"})
    with pytest.raises(Unavailable) as err:
        rpc.clients.delete_client(client["id"])
    assert err.value.fields == {"service": "fakeinvoicing"}
    assert rpc.clients.get_client(client["id"])["id"] == client["id"]


def test_delete_without_references(clients_container, rpc):
    client = rpc.clients.create_client({"last_name": "Free"})
    assert rpc.clients.delete_client(client["id"]) == {"deleted": client["id"]}
    with pytest.raises(NotFound):
        rpc.clients.get_client(client["id"])
    assert rpc.clients.search_clients({"q": "free"})["items"] == []


def test_family_lookups_and_settings_over_rpc(clients_container, rpc):
    client = rpc.clients.create_client({"last_name": "Home"})
    member = rpc.clients.add_family_member(
        client["id"], {"first_name": "kim", "relationship": "Sibling", "secondary_contact": True}
    )
    assert rpc.clients.get_client(client["id"])["secondary_contact"]["first_name"] == "Kim"
    assert [c["id"] for c in rpc.clients.search_clients({"q": "kim"})["items"]] == [client["id"]]
    with pytest.raises(Conflict):
        rpc.clients.delete_lookup(
            "relationships",
            next(
                r["id"] for r in rpc.clients.list_lookups("relationships")["items"] if r["name"] == "Sibling"
            ),
        )
    rpc.clients.delete_family_member(client["id"], member["id"])
    rpc.clients.update_settings({"client_number_prefix": "H"})
    assert rpc.clients.create_client({"last_name": "Next"})["client_number"] == "H1001"


def test_more_calls_at_once_than_workers_and_connections(clients_container, rpc):
    """80 calls in flight against 10 workers and a pool of 10+10 connections.

    (One standalone proxy must be read from one greenthread: send with ``call_async``,
    then collect; many greenthreads calling ``result()`` would read one socket at once.)
    """
    client = rpc.clients.create_client({"last_name": "Busy"})
    replies = [rpc.clients.get_client.call_async(client["id"]) for _ in range(80)]
    assert [reply.result()["id"] for reply in replies] == [client["id"]] * 80
