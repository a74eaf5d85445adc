"""The tasks service in a real nameko container, over real RabbitMQ (a throwaway vhost per
test, from nameko's ``rabbit_config``) and a real PostgreSQL database (a throwaway database
per test, cloned from a template migrated once per run). Small stand-ins answer for the
staff and clients services unless a test starts the real clients service."""


import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from proofsheet_shared import testing
from proofsheet_shared.entrypoints import rpc as domain_rpc
from proofsheet_shared.testing import EventTap
from tasks.service import TasksService

STAFF_IDS = {5, 6, 7}
CLIENT_IDS = {100, 101}


def pytest_collection_modifyitems(items):
    for item in items:
        if "/tests/integration/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.integration)


class FakeStaff:
    """Answers the staff service's questions: staff 5, 6 and 7 are active; the studio is UTC."""

    name = "staff"

    @domain_rpc
    def staff_exists(self, user_id, active_only=True):
        return user_id in STAFF_IDS

    @domain_rpc
    def get_studio_settings(self):
        return {"name": "Test", "time_zone": "UTC", "currency": "usd"}


class FakeClients:
    """Answers ``clients.get_clients``: clients 100 and 101 exist."""

    name = "clients"

    @domain_rpc
    def get_clients(self, client_ids):
        return [{"id": i} for i in client_ids if i in CLIENT_IDS]


@pytest.fixture(scope="session")
def pg_template(alembic_ini):
    """A PostgreSQL database migrated to head, to clone; dropped at the end of the run."""
    with testing.temporary_postgres_database("tasks_template") as url:
        testing.upgrade(alembic_ini, url)
        yield url


@pytest.fixture
def pg_url(pg_template):
    with testing.temporary_postgres_database("tasks_test", template=pg_template) as url:
        yield url


@pytest.fixture
def tasks_config(rabbit_config, pg_url):
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
    """``start_service(cls, config)``: a running container (see the clients service's tests
    for why the database is dropped while the container still runs)."""

    def start(service_cls, config):
        container = container_factory(service_cls, config)
        container.start()
        return container

    return start


@pytest.fixture
def tasks_container(start_service, tasks_config):
    start_service(FakeStaff, tasks_config)
    start_service(FakeClients, tasks_config)
    return start_service(TasksService, tasks_config)


@pytest.fixture
def rpc(tasks_config):
    """A cluster proxy calling as user 5 with every permission."""
    with ClusterRpcProxy(tasks_config, context_data=testing.rpc_context(user_id=5), timeout=30) as proxy:
        yield proxy


@pytest.fixture
def event_tap(rabbit_config):
    taps = []

    def tap(service="tasks", routing_key="#"):
        t = EventTap(rabbit_config["AMQP_URI"], service, routing_key)
        taps.append(t)
        return t

    yield tap
    for t in taps:
        t.close()
