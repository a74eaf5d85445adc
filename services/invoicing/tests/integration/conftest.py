"""The invoicing service in a real nameko container, over real RabbitMQ (a throwaway vhost
per test, from nameko's ``rabbit_config``) and a real PostgreSQL database (a throwaway
database per test, cloned from a template migrated once per run). Small stand-ins answer
for the clients and staff services."""

import uuid

import pytest
from invoicing.service import InvoicingService
from kombu import Connection, Exchange, Producer
from nameko.standalone.rpc import ClusterRpcProxy
from proofsheet_shared import testing
from proofsheet_shared.entrypoints import rpc as domain_rpc
from proofsheet_shared.errors import NotFound
from proofsheet_shared.testing import EventTap

CLIENTS = {
    1: {
        "id": 1,
        "client_number": "1000",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "address": {"line1": "12 Analytical Way", "city": "London"},
    },
    2: {"id": 2, "client_number": "1001", "first_name": "Charles", "last_name": "Babbage", "address": {}},
}


def pytest_collection_modifyitems(items):
    for item in items:
        if "/tests/integration/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.integration)


class FakeClientsService:
    name = "clients"

    @domain_rpc
    def get_client(self, client_id):
        if client_id not in CLIENTS:
            raise NotFound(f"client {client_id} does not exist", {"id": "not found"})
        return CLIENTS[client_id]

    @domain_rpc
    def get_clients(self, client_ids):
        return [CLIENTS[i] for i in client_ids if i in CLIENTS]


class FakeStaffService:
    name = "staff"

    @domain_rpc
    def get_studio_settings(self):
        return {"name": "Integration Studio", "address": {}, "time_zone": "UTC", "currency": "usd"}


@pytest.fixture(scope="session")
def pg_template(alembic_ini):
    with testing.temporary_postgres_database("invoicing_template") as url:
        testing.upgrade(alembic_ini, url)
        yield url


@pytest.fixture
def pg_url(pg_template):
    with testing.temporary_postgres_database("invoicing_test", template=pg_template) as url:
        yield url


@pytest.fixture
def invoicing_config(rabbit_config, pg_url):
    return {
        "AMQP_URI": rabbit_config["AMQP_URI"],
        "DATABASE_URL": pg_url,
        "DB_POOL_SIZE": 10,
        "max_workers": 10,
        "RPC_TIMEOUT": 5,
        "OUTBOX_RELAY_INTERVAL": 0.5,
    }


@pytest.fixture
def start_service(container_factory):
    def start(service_cls, config):
        container = container_factory(service_cls, config)
        container.start()
        return container

    return start


@pytest.fixture
def invoicing_container(start_service, invoicing_config):
    start_service(FakeClientsService, invoicing_config)
    start_service(FakeStaffService, invoicing_config)
    return start_service(InvoicingService, invoicing_config)


@pytest.fixture
def rpc(invoicing_config):
    with ClusterRpcProxy(invoicing_config, context_data=testing.rpc_context(), timeout=30) as proxy:
        yield proxy


def publish(amqp_uri, source, event_type, data, event_id=None):
    """Another service's event, as its outbox would send it."""
    event_id = event_id or str(uuid.uuid4())
    with Connection(amqp_uri) as conn:
        exchange = Exchange(f"{source}.events", type="topic", durable=True)
        Producer(conn).publish(
            {"id": event_id, "type": f"{source}.{event_type}", "source": source, "data": data},
            exchange=exchange,
            routing_key=event_type,
            declare=[exchange],
            serializer="json",
        )
    return event_id


@pytest.fixture
def event_tap(rabbit_config):
    taps = []

    def tap(service="invoicing", routing_key="#"):
        t = EventTap(rabbit_config["AMQP_URI"], service, routing_key)
        taps.append(t)
        return t

    yield tap
    for t in taps:
        t.close()
