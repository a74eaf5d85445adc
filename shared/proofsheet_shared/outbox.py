"""Transactional outbox: events written with the change, published after the commit.

An event is a row of ``outbox_events`` written in the same transaction as the change it
describes, so a rolled-back change never emits and a committed one always does: right
after the commit, or later by the relay if the broker was away. Delivery is at least
once; consumers claim each event id in ``processed_events`` inside their own transaction.
"""
import datetime as dt
import logging
import threading
import time
import uuid

from nameko.amqp.publish import Publisher
from nameko.standalone.events import get_event_exchange
from sqlalchemy import JSON, Column, MetaData, String, Table, delete, insert, select
from sqlalchemy.exc import IntegrityError

from .types import UTCDateTime, utcnow

log = logging.getLogger(__name__)

_metadata = MetaData()

outbox_events = Table(
    "outbox_events", _metadata,
    Column("id", String(36), primary_key=True),
    Column("source", String(64), nullable=False),
    Column("event_type", String(128), nullable=False),
    Column("envelope", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False, index=True),
)

processed_events = Table(
    "processed_events", _metadata,
    Column("event_id", String(36), primary_key=True),
    Column("handled_at", UTCDateTime(), nullable=False),
)


def add_messaging_tables(metadata):
    """Put the outbox and processed-events tables into a service's metadata (for Alembic)."""
    for table in (outbox_events, processed_events):
        if table.name not in metadata.tables:
            table.to_metadata(metadata)


def record_event(session, source, event_type, data, context):
    event_id = str(uuid.uuid4())
    now = utcnow()
    envelope = {
        "id": event_id,
        "type": f"{source}.{event_type}",
        "source": source,
        "occurred_at": now.isoformat(),
        "user_id": (context or {}).get("user_id"),
        "request_id": (context or {}).get("request_id"),
        "data": data,
    }
    session.execute(insert(outbox_events).values(
        id=event_id, source=source, event_type=event_type, envelope=envelope, created_at=now))
    return event_id


def claim_event(session, event_id):
    if session.execute(select(processed_events.c.event_id)
                       .where(processed_events.c.event_id == event_id)).first():
        return False
    try:
        with session.begin_nested():
            session.execute(insert(processed_events).values(event_id=event_id, handled_at=utcnow()))
    except IntegrityError:
        return False
    return True


class OutboxRelay:
    """Publishes outbox rows to ``<source>.events`` and deletes them once the broker confirms."""

    batch_size = 200
    grace_seconds = 5

    def __init__(self, engine, amqp_uri):
        self.engine = engine
        self.publisher = Publisher(amqp_uri, serializer="json", use_confirms=True,
                                   retry=True, retry_policy={"max_retries": 2})
        self._stopped = threading.Event()

    def _locked_select(self, stmt):
        if self.engine.dialect.name == "postgresql":
            return stmt.with_for_update(skip_locked=True)
        return stmt

    def _publish_rows(self, conn, rows):
        sent = []
        for row in rows:
            envelope = row.envelope
            exchange = get_event_exchange(row.source, {})
            try:
                self.publisher.publish(
                    envelope, exchange=exchange, routing_key=row.event_type, declare=[exchange],
                    headers={"nameko.request_id": envelope.get("request_id"),
                             "nameko.user_id": envelope.get("user_id")},
                    message_id=row.id)
            except Exception as exc:  # noqa: BLE001 - the relay retries later
                log.warning("outbox publish failed, will retry: %s", exc)
                break
            sent.append(row.id)
        if sent:
            conn.execute(delete(outbox_events).where(outbox_events.c.id.in_(sent)))
        return len(sent)

    def dispatch(self, event_ids):
        """Publish these just-committed events now."""
        try:
            with self.engine.begin() as conn:
                rows = conn.execute(self._locked_select(
                    select(outbox_events).where(outbox_events.c.id.in_(event_ids))
                    .order_by(outbox_events.c.created_at))).all()
                self._publish_rows(conn, rows)
        except Exception as exc:  # noqa: BLE001 - the relay picks them up
            log.warning("outbox dispatch deferred to the relay: %s", exc)

    def relay_once(self, older_than=None):
        cutoff = utcnow() - dt.timedelta(seconds=self.grace_seconds if older_than is None else older_than)
        with self.engine.begin() as conn:
            rows = conn.execute(self._locked_select(
                select(outbox_events).where(outbox_events.c.created_at <= cutoff)
                .order_by(outbox_events.c.created_at).limit(self.batch_size))).all()
            return self._publish_rows(conn, rows)

    def run_forever(self, interval):
        while not self._stopped.is_set():
            try:
                while self.relay_once() == self.batch_size:
                    pass
            except Exception as exc:  # noqa: BLE001 - keep relaying
                log.warning("outbox relay pass failed: %s", exc)
            self._stopped.wait(interval)

    def stop(self):
        self._stopped.set()
