"""Events: published to ``clients.events`` after the commit, through the outbox; never for
a rolled-back change; handled once per event id however often they arrive."""

import datetime as dt
import time
import uuid

import pytest
import sqlalchemy as sa
from kombu import Connection
from nameko.standalone.events import get_event_exchange
from nameko.testing.services import entrypoint_waiter

from clients import records
from clients.models import Base
from clients.service import ClientsService
from proofsheet_shared import testing
from proofsheet_shared.db import Database
from proofsheet_shared.entrypoints import event_handler, rpc
from proofsheet_shared.errors import Conflict
from proofsheet_shared.outbox import add_messaging_tables, outbox_events


def scalar(url, sql, **params):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()
    finally:
        engine.dispose()


def test_client_created_is_published_after_the_commit(clients_container, rpc, event_tap, pg_url):
    tap = event_tap()
    client = rpc.clients.create_client({"first_name": "Eve", "last_name": "Events"})
    event = tap.get(timeout=5)
    assert event is not None, "no event published"
    assert (event["type"], event["_routing_key"], event["source"]) == (
        "clients.client_created",
        "client_created",
        "clients",
    )
    assert event["data"]["client"]["id"] == client["id"]
    assert (event["user_id"], event["request_id"]) == (1, "test")
    uuid.UUID(event["id"])
    # the change it describes is committed and visible to anyone by now
    assert scalar(pg_url, "SELECT count(*) FROM clients WHERE id = :id", id=client["id"]) == 1
    # and the outbox row is gone once the broker took it
    deadline = time.monotonic() + 5
    while scalar(pg_url, "SELECT count(*) FROM outbox_events") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert scalar(pg_url, "SELECT count(*) FROM outbox_events") == 0


def test_updates_and_status_changes_are_published_in_order(clients_container, rpc, event_tap):
    statuses = {s["name"]: s["id"] for s in rpc.clients.list_lookups("client-statuses")["items"]}
    client = rpc.clients.create_client({"last_name": "Order", "status_id": statuses["Prospect"]})
    tap = event_tap()
    rpc.clients.update_client(client["id"], {"status_id": statuses["Booked"]})
    events = tap.drain(timeout=0.5)
    assert [e["type"] for e in events] == ["clients.client_updated", "clients.client_status_changed"]
    assert events[1]["data"] == {
        "client_id": client["id"],
        "from_status_id": statuses["Prospect"],
        "to_status_id": statuses["Booked"],
    }


def test_a_failed_call_publishes_nothing(clients_container, rpc, event_tap, pg_url):
    tap = event_tap()
    rpc.clients.create_client({"last_name": "First", "client_number": "DUP"})
    assert [e["type"] for e in tap.drain(timeout=2)] == ["clients.client_created"]
    with pytest.raises(Conflict):
        rpc.clients.create_client({"last_name": "Second", "client_number": "DUP"})
    assert tap.drain(timeout=0.5) == []


class RollbackProbe:
    """Runs the clients domain in the clients database like ClientsService does, then fails
    after the event was recorded: the transaction, and with it the event, must go."""

    name = "clientsprobe"
    db = Database(Base.metadata, service_name="clients")

    @rpc
    def create_then_fail(self, payload):
        records.create_client(self.db, payload, 1, dt.date.today())
        raise Conflict("made to fail after the event was recorded", {"probe": "fail"})

    @rpc
    def create(self, payload):
        return records.create_client(self.db, payload, 1, dt.date.today())


def test_a_rolled_back_change_publishes_nothing(start_service, clients_config, event_tap, pg_url):
    from nameko.standalone.rpc import ClusterRpcProxy

    container = start_service(RollbackProbe, clients_config)
    tap = event_tap()
    with ClusterRpcProxy(clients_config, context_data=testing.rpc_context()) as proxy:
        with pytest.raises(Conflict):
            proxy.clientsprobe.create_then_fail({"last_name": "Ghost"})
        assert scalar(pg_url, "SELECT count(*) FROM clients") == 0
        assert scalar(pg_url, "SELECT count(*) FROM outbox_events") == 0
        # nothing for the relay to send later either
        db_provider = next(d for d in container.dependencies if isinstance(d, Database))
        assert db_provider.relay.relay_once(older_than=0) == 0
        assert tap.drain(timeout=0.5) == []
        # the same path without the failure does publish
        proxy.clientsprobe.create({"last_name": "Real"})
    assert [e["type"] for e in tap.drain(timeout=0.5)] == ["clients.client_created"]


def test_the_relay_sends_what_the_broker_missed(clients_container, rpc, event_tap, pg_url):
    """An event left in the outbox (say the broker was away at commit time) is sent later."""
    tap = event_tap()
    engine = sa.create_engine(pg_url, poolclass=sa.pool.NullPool)
    event_id = str(uuid.uuid4())
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
    envelope = {
        "id": event_id,
        "type": "clients.client_deleted",
        "source": "clients",
        "occurred_at": old.isoformat(),
        "user_id": 1,
        "request_id": "t",
        "data": {"client_id": 1},
    }
    with engine.begin() as conn:
        conn.execute(
            sa.insert(outbox_events).values(
                id=event_id, source="clients", event_type="client_deleted", envelope=envelope, created_at=old
            )
        )
    engine.dispose()
    event = tap.get(timeout=5)  # OUTBOX_RELAY_INTERVAL is 0.5 s in these tests
    assert event is not None and event["id"] == event_id
    assert scalar(pg_url, "SELECT count(*) FROM outbox_events") == 0


# --- idempotent handlers -----------------------------------------------------------------

consumer_metadata = sa.MetaData()
add_messaging_tables(consumer_metadata)
handled = sa.Table(
    "handled",
    consumer_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("client_id", sa.Integer, nullable=False),
)


class ClientCreatedConsumer:
    """Another service reacting to ``clients.client_created`` with the shared handler."""

    name = "probeconsumer"
    db = Database(consumer_metadata)

    @event_handler("clients", "client_created")
    def on_client_created(self, envelope):
        eventlet_sleep(0.05)  # widen the window in which two deliveries overlap
        self.db.session.execute(
            sa.insert(handled).values(event_id=envelope["id"], client_id=envelope["data"]["client"]["id"])
        )


def eventlet_sleep(seconds):
    import eventlet

    eventlet.sleep(seconds)


@pytest.fixture
def consumer_db():
    with testing.temporary_postgres_database("clients_consumer") as url:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        consumer_metadata.create_all(engine)
        engine.dispose()
        yield url


def publish_again(amqp_uri, envelope, times):
    """Deliver an event the way the outbox relay does, ``times`` over (a redelivery)."""
    exchange = get_event_exchange("clients", {})
    with Connection(amqp_uri) as conn:
        producer = conn.Producer(serializer="json")
        for _ in range(times):
            producer.publish(envelope, exchange=exchange, routing_key="client_created", declare=[exchange])


def test_a_redelivered_event_changes_nothing(start_service, clients_config, consumer_db, rpc, event_tap):
    consumer = start_service(ClientCreatedConsumer, dict(clients_config, DATABASE_URL=consumer_db))
    start_service(ClientsService, clients_config)
    tap = event_tap()

    with entrypoint_waiter(consumer, "on_client_created", timeout=10):
        client = rpc.clients.create_client({"last_name": "Once"})
    envelope = tap.get(timeout=5)
    envelope.pop("_routing_key")

    calls = []

    def two_done(worker_ctx, result, exc_info):
        calls.append(exc_info)
        return len(calls) == 2

    # the same event twice more, at the same time: both deliveries run, neither does the work
    with entrypoint_waiter(consumer, "on_client_created", timeout=10, callback=two_done):
        publish_again(clients_config["AMQP_URI"], envelope, times=2)
    assert calls == [None, None]

    assert scalar(consumer_db, "SELECT count(*) FROM handled") == 1
    assert scalar(consumer_db, "SELECT client_id FROM handled") == client["id"]
    assert (
        scalar(consumer_db, "SELECT count(*) FROM processed_events WHERE event_id = :id", id=envelope["id"])
        == 1
    )

    # a different event is handled
    with entrypoint_waiter(consumer, "on_client_created", timeout=10):
        rpc.clients.create_client({"last_name": "Twice"})
    assert scalar(consumer_db, "SELECT count(*) FROM handled") == 2
