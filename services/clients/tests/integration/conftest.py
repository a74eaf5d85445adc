"""The clients service in a real nameko container, over real RabbitMQ (a throwaway vhost
per test, from nameko's ``rabbit_config``) and a real PostgreSQL database (a throwaway
database per test, cloned from a template migrated once per run)."""


import pytest
from clients.service import ClientsService
from nameko.standalone.rpc import ClusterRpcProxy
from proofsheet_shared import testing
from proofsheet_shared.testing import EventTap


def pytest_collection_modifyitems(items):
    for item in items:
        if "/tests/integration/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def pg_template(alembic_ini):
    """A PostgreSQL database migrated to head, to clone; dropped at the end of the run."""
    with testing.temporary_postgres_database("clients_template") as url:
        testing.upgrade(alembic_ini, url)
        yield url


@pytest.fixture
def pg_url(pg_template):
    with testing.temporary_postgres_database("clients_test", template=pg_template) as url:
        yield url


@pytest.fixture
def clients_config(rabbit_config, pg_url):
    return {
        "AMQP_URI": rabbit_config["AMQP_URI"],
        "DATABASE_URL": pg_url,
        "DB_POOL_SIZE": 10,
        "max_workers": 10,
        "RPC_TIMEOUT": 5,
        "OUTBOX_RELAY_INTERVAL": 0.5,
        "CLIENT_REFERENCE_SERVICES": "",
    }


@pytest.fixture
def start_service(container_factory):
    """``start_service(cls, config)``: a running container.

    nameko's ``container_factory`` kills it after ``rabbit_config`` has deleted the vhost,
    which ends the consumers at once (killing it earlier costs a second a container). So the
    test's database is dropped (WITH FORCE) while the container still runs, idle.
    """

    def start(service_cls, config):
        container = container_factory(service_cls, config)
        container.start()
        return container

    return start


@pytest.fixture
def clients_container(start_service, clients_config):
    return start_service(ClientsService, clients_config)


@pytest.fixture
def rpc(clients_config):
    """A cluster proxy calling as a user with every permission."""
    with ClusterRpcProxy(clients_config, context_data=testing.rpc_context(), timeout=15) as proxy:
        yield proxy


@pytest.fixture
def event_tap(rabbit_config):
    taps = []

    def tap(service="clients", routing_key="#"):
        t = EventTap(rabbit_config["AMQP_URI"], service, routing_key)
        taps.append(t)
        return t

    yield tap
    for t in taps:
        t.close()
