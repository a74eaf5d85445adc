"""SQLAlchemy engines that behave under eventlet, and the per-worker database dependency."""
import contextlib
import logging
import weakref

import orjson
from nameko.extensions import DependencyProvider
from sqlalchemy import create_engine, event as sa_event
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import sessionmaker

from . import config
from .errors import Conflict, DomainError, Unavailable
from .outbox import OutboxRelay, claim_event, record_event

log = logging.getLogger(__name__)


def _green_psycopg():
    """Let psycopg2 yield to the eventlet hub, when this process runs under eventlet."""
    try:
        import eventlet.patcher
    except ImportError:  # pragma: no cover - eventlet is always there with nameko
        return
    if eventlet.patcher.is_monkey_patched("socket"):
        from psycogreen.eventlet import patch_psycopg
        patch_psycopg()


def create_db_engine(url, pool_size=10, echo=False):
    """An engine for SQLite (one connection a process, WAL) or PostgreSQL (pooled, green).

    SQLite's busy wait blocks the whole eventlet hub, so a process keeps one connection
    and lets greenthreads queue for it (the pool's wait cooperates with eventlet)
    rather than risk two greenthreads of one process waiting on each other's lock.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, pool_size=1, max_overflow=0, pool_timeout=60,
                               json_deserializer=orjson.loads,
                               connect_args={"check_same_thread": False, "timeout": 30})

        @sa_event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
        return engine
    if url.startswith("postgresql"):
        _green_psycopg()
    return create_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size,
                         pool_recycle=1800, pool_reset_on_return=None, json_deserializer=orjson.loads)


def translate_db_error(exc):
    """Database failures that are not bugs, as domain errors; anything else unchanged."""
    if isinstance(exc, DomainError):
        return exc
    if isinstance(exc, IntegrityError):
        return Conflict("the change conflicts with existing data")
    if isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated):
        return Unavailable("the database is not answering", {"database": "unavailable"})
    return exc


class WorkerDatabase:
    """What a worker sees as ``self.db``: a session plus the outbox and event claims."""

    def __init__(self, session, identity_context, source, engine=None):
        self.session = session
        self._engine = engine
        self._context = identity_context
        self._source = source
        self.pending_event_ids = []
        self.settled = False

    @contextlib.contextmanager
    def reading(self):
        """An autocommit connection for a read that needs no transaction: one round trip
        per statement, no BEGIN/COMMIT, no ORM. Use it only where nothing is written."""
        with self._engine.connect() as connection:
            yield connection.execution_options(isolation_level="AUTOCOMMIT")

    def publish(self, event_type, data):
        """Record ``<source>.<event_type>`` in the outbox, inside this worker's transaction."""
        event_id = record_event(self.session, self._source, event_type, data, self._context)
        self.pending_event_ids.append(event_id)
        return event_id

    def claim_event(self, event_id):
        """True the first time this service sees ``event_id``; False for a redelivery."""
        return claim_event(self.session, event_id)


class Database(DependencyProvider):
    """Session per worker: committed before the RPC reply or event ack, rolled back on error.

    nameko sends an RPC reply before ``worker_result`` runs, so committing there would let a
    caller read before the commit and would hide a failed commit. The shared ``rpc`` and
    ``event_handler`` entrypoints call :meth:`settle` first; other entrypoints (timers)
    settle in ``worker_result``. Events recorded with ``self.db.publish`` are published
    after the commit, alongside the reply rather than before it; any the broker did not
    take are sent by the relay.
    """

    def __init__(self, metadata, service_name=None):
        self.metadata = metadata
        self.service_name = service_name
        self.workers = weakref.WeakKeyDictionary()

    def setup(self):
        name = self.service_name or self.container.service_name
        url = self.container.config.get("DATABASE_URL") or config.database_url(name)
        self.engine = create_db_engine(url, pool_size=int(self.container.config.get("DB_POOL_SIZE", 10)))
        self.sessionmaker = sessionmaker(bind=self.engine, expire_on_commit=False)
        self.relay = OutboxRelay(self.engine, self.container.config[
            "AMQP_URI"] if "AMQP_URI" in self.container.config else config.amqp_uri())

    def start(self):
        interval = float(self.container.config.get("OUTBOX_RELAY_INTERVAL", 2.0))
        if interval > 0:
            self.container.spawn_managed_thread(lambda: self.relay.run_forever(interval),
                                                identifier="outbox-relay")

    def stop(self):
        self.relay.stop()
        self.engine.dispose()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        name = self.service_name or self.container.service_name
        worker_db = WorkerDatabase(self.sessionmaker(), dict(worker_ctx.context_data), name, self.engine)
        self.workers[worker_ctx] = worker_db
        return worker_db

    def settle(self, worker_ctx, result, exc_info):
        worker_db = self.workers.get(worker_ctx)
        if worker_db is None or worker_db.settled:
            return result, exc_info
        worker_db.settled = True
        session = worker_db.session
        if exc_info is None:
            try:
                session.commit()
            except Exception as exc:  # noqa: BLE001 - reported to the caller, not swallowed
                session.rollback()
                err = translate_db_error(exc)
                return None, (type(err), err, exc.__traceback__)
            if worker_db.pending_event_ids:
                self._dispatch_soon(list(worker_db.pending_event_ids))
            return result, None
        session.rollback()
        err = translate_db_error(exc_info[1])
        if err is not exc_info[1]:
            exc_info = (type(err), err, exc_info[2])
        return result, exc_info

    def _dispatch_soon(self, event_ids):
        """Publish committed events in a greenthread of their own, so the caller's reply
        never waits on the broker's confirms (the relay covers a failed dispatch)."""
        self.container.spawn_managed_thread(lambda: self.relay.dispatch(event_ids),
                                            identifier="outbox-dispatch")

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        self.settle(worker_ctx, result, exc_info)

    def worker_teardown(self, worker_ctx):
        worker_db = self.workers.pop(worker_ctx, None)
        if worker_db is not None:
            worker_db.session.close()


def settle_dependencies(container, worker_ctx, result, exc_info):
    for provider in container.dependencies:
        if isinstance(provider, Database):
            result, exc_info = provider.settle(worker_ctx, result, exc_info)
    return result, exc_info
