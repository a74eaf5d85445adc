"""Many events from one worker: one INSERT into the outbox, and publishing that does not
hold up the reply.

``self.db.publish`` writes one outbox row per call, and the :class:`~proofsheet_shared.db.Database`
dependency publishes a worker's events after the commit, before the RPC reply. For a bulk
command (advance the status of 5,000 tasks: 5,000 events) that is 5,000 INSERT round trips
and 5,000 confirmed publishes on the caller's clock. This module keeps every guarantee of
the outbox (an event is written in the change's transaction, sent only after the commit,
never lost) and takes both costs off the reply:

- :func:`publish_many`: the envelopes :func:`~proofsheet_shared.outbox.record_event` writes,
  for many events of one type, in one multi-row INSERT;
- :class:`BulkDispatchDatabase`: a ``Database`` that, when a worker leaves more than
  ``background_threshold`` events, publishes them from a managed background thread after
  the commit, so the reply goes at once. Whatever that thread does not get to (the service
  stops meanwhile), the outbox relay sends.
"""
import logging
import uuid

from sqlalchemy import insert

from .db import Database, WorkerDatabase
from .outbox import outbox_events
from .types import utcnow

log = logging.getLogger(__name__)


def record_events(session, source, event_type, datas, context):
    """Write ``<source>.<event_type>`` events for each of ``datas``; their ids, in order."""
    now = utcnow()
    occurred_at = now.isoformat()
    context = context or {}
    rows = []
    for data in datas:
        event_id = str(uuid.uuid4())
        envelope = {
            "id": event_id,
            "type": f"{source}.{event_type}",
            "source": source,
            "occurred_at": occurred_at,
            "user_id": context.get("user_id"),
            "request_id": context.get("request_id"),
            "data": data,
        }
        rows.append({"id": event_id, "source": source, "event_type": event_type, "envelope": envelope,
                     "created_at": now})
    if rows:
        session.execute(insert(outbox_events), rows)
    return [row["id"] for row in rows]


def publish_many(db, event_type, datas):
    """``db.publish(event_type, data)`` for each of ``datas``, in one INSERT on a worker's
    database; anything else that looks like one (``testing.FakeDatabase``) gets one
    ``publish`` call per event."""
    datas = list(datas)
    if isinstance(db, WorkerDatabase):
        ids = record_events(db.session, db._source, event_type, datas, db._context)
        db.pending_event_ids.extend(ids)
        return ids
    return [db.publish(event_type, data) for data in datas]


class _BackgroundDispatch:
    """Wraps the dependency's :class:`~proofsheet_shared.outbox.OutboxRelay`: large
    dispatches run in a managed thread, in chunks, each its own short transaction."""

    chunk = 500

    def __init__(self, relay, spawn, threshold):
        self._relay = relay
        self._spawn = spawn
        self.threshold = threshold

    def dispatch(self, event_ids):
        if len(event_ids) <= self.threshold:
            return self._relay.dispatch(event_ids)
        ids = list(event_ids)

        def send():
            for start in range(0, len(ids), self.chunk):
                self._relay.dispatch(ids[start:start + self.chunk])

        self._spawn(send, identifier="outbox-bulk-dispatch")
        return None

    def __getattr__(self, name):
        return getattr(self._relay, name)


class BulkDispatchDatabase(Database):
    """``Database(metadata)`` for a service with bulk commands: a worker's events beyond
    ``background_threshold`` are published after the reply instead of before it."""

    def __init__(self, metadata, service_name=None, background_threshold=100):
        super().__init__(metadata, service_name)
        self.background_threshold = background_threshold

    def setup(self):
        super().setup()
        self.relay = _BackgroundDispatch(self.relay, self.container.spawn_managed_thread,
                                         self.background_threshold)
