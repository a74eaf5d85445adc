"""The payments service in a real nameko container, over real RabbitMQ (a throwaway vhost per
test, from nameko's ``rabbit_config``) and a real PostgreSQL database (a throwaway database
per test, cloned from a template migrated once per run). Small stand-ins answer for the
invoicing, clients and staff services."""


import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from payments.service import PaymentsService
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
INVOICES = {
    10: {
        "invoice_id": 10,
        "invoice_number": "INV-10",
        "client_id": 1,
        "status": "open",
        "currency": "usd",
        "total": 10000,
        "paid": 0,
        "credited": 0,
        "balance": 10000,
    }
}
MEMOS = {
    20: {
        "credit_memo_id": 20,
        "client_id": 1,
        "invoice_id": None,
        "currency": "usd",
        "total": 3000,
        "refunded": 0,
        "remaining": 3000,
    }
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


class FakeInvoicingService:
    """Answers as invoicing does; never hears of the payments (so its balances lag, always)."""

    name = "invoicing"

    @domain_rpc
    def invoice_balance(self, invoice_id):
        if invoice_id not in INVOICES:
            raise NotFound(f"invoice {invoice_id} does not exist", {"invoice_id": "not found"})
        return INVOICES[invoice_id]

    @domain_rpc
    def credit_memo_refundable(self, credit_memo_id):
        if credit_memo_id not in MEMOS:
            raise NotFound(f"credit memo {credit_memo_id} does not exist", {"credit_memo_id": "not found"})
        return MEMOS[credit_memo_id]

    @domain_rpc
    def unapplied_deposits(self, client_id):
        return {"client_id": client_id, "items": [{"payment_id": 999, "amount": 100}], "total": 100}


class FakeStaffService:
    name = "staff"

    @domain_rpc
    def get_studio_settings(self):
        return {"name": "Integration Studio", "address": {}, "time_zone": "UTC", "currency": "usd"}


@pytest.fixture(scope="session")
def pg_template(alembic_ini):
    with testing.temporary_postgres_database("payments_template") as url:
        testing.upgrade(alembic_ini, url)
        yield url


@pytest.fixture
def pg_url(pg_template):
    with testing.temporary_postgres_database("payments_test", template=pg_template) as url:
        yield url


@pytest.fixture
def payments_config(rabbit_config, pg_url):
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
def payments_container(start_service, payments_config):
    for fake in (FakeClientsService, FakeInvoicingService, FakeStaffService):
        start_service(fake, payments_config)
    return start_service(PaymentsService, payments_config)


@pytest.fixture
def rpc_as(payments_config):
    proxies = []

    def make(confirmed=False, **identity):
        context = testing.rpc_context(**identity)
        if confirmed:
            context["credentials_confirmed"] = True
        proxy_maker = ClusterRpcProxy(payments_config, context_data=context, timeout=30)
        proxies.append(proxy_maker)
        return proxy_maker.start()

    yield make
    for maker in proxies:
        maker.stop()


@pytest.fixture
def rpc(rpc_as):
    return rpc_as()


@pytest.fixture
def event_tap(rabbit_config):
    taps = []

    def tap(service="payments", routing_key="#"):
        t = EventTap(rabbit_config["AMQP_URI"], service, routing_key)
        taps.append(t)
        return t

    yield tap
    for t in taps:
        t.close()
