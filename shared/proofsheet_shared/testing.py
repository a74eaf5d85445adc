"""Test helpers every service shares.

- :func:`compare_migrations_to_models`: upgrade a fresh database with a service's Alembic
  migrations and list how it differs from the models (an empty list is the goal), on
  SQLite and on PostgreSQL.
- :func:`temporary_postgres_database`: a uniquely named PostgreSQL database that is
  dropped afterwards.
- :func:`migrated_sqlite_url` / :func:`copy_sqlite_database`: an SQLite file built from the
  migrations once, copied for every test that needs a clean database.
- :class:`FakeDatabase`: what a worker sees as ``self.db`` (``.session``, ``.publish``,
  ``.claim_event``), recording events, so domain functions can be called directly.
- :data:`ALL_PERMISSIONS_CONTEXT` and :func:`rpc_context`: nameko context data as the
  gateway sends it.

A service's ``migrations/env.py`` must take its URL from any of
``config.attributes["url"]``, ``-x url=...`` or ``sqlalchemy.url`` (all three are set
here), and should skip ``fileConfig`` when ``config.attributes["configure_logger"]`` is
false so that running migrations does not replace the test runner's logging.
"""

import contextlib
import itertools
import json
import os
import shutil
import uuid
from argparse import Namespace

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

DEFAULT_POSTGRES_ADMIN_URL = "postgresql+psycopg2://postgres@localhost:5432/postgres"
ALL_PERMISSIONS_CONTEXT = {"user_id": 1, "permissions": ["*"], "request_id": "test"}


def rpc_context(user_id=1, permissions=("*",), request_id="test"):
    """nameko context data as the gateway attaches it to every call."""
    return {"user_id": user_id, "permissions": list(permissions), "request_id": request_id}


# --- Alembic -----------------------------------------------------------------------------


def alembic_config(alembic_ini_path, url):
    """An Alembic ``Config`` for ``alembic_ini_path`` aimed at ``url``."""
    from alembic.config import Config

    config = Config(str(alembic_ini_path), cmd_opts=Namespace(x=[f"url={url}"]))
    config.set_main_option("sqlalchemy.url", str(url).replace("%", "%%"))
    config.attributes["url"] = str(url)
    config.attributes["configure_logger"] = False
    return config


def upgrade(alembic_ini_path, url, revision="head"):
    from alembic import command

    command.upgrade(alembic_config(alembic_ini_path, url), revision)


def downgrade(alembic_ini_path, url, revision="base"):
    from alembic import command

    command.downgrade(alembic_config(alembic_ini_path, url), revision)


def _dialect_type(type_, dialect):
    """The column type ``dialect`` actually creates (variants and decorators resolved)."""
    impl = type_.dialect_impl(dialect)
    while isinstance(impl, TypeDecorator):
        impl = impl.load_dialect_impl(dialect).dialect_impl(dialect)
    return impl


def _column_details(connection, metadata):
    """What Alembic's type comparison does not look at: column collations."""
    inspector = sa.inspect(connection)
    dialect = connection.dialect
    diffs = []
    existing = set(inspector.get_table_names())
    for table in metadata.sorted_tables:
        if table.name not in existing:
            continue  # Alembic reports the missing table
        reflected = {c["name"]: c["type"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in reflected:
                continue
            wanted, found = _dialect_type(column.type, dialect), reflected[column.name]
            want_coll, found_coll = getattr(wanted, "collation", None), getattr(found, "collation", None)
            if (want_coll or found_coll) and want_coll != found_coll:
                diffs.append(("modify_collation", table.name, column.name, found_coll, want_coll))
    return diffs


def compare_schema_to_models(url, metadata, ignore_tables=("alembic_version",)):
    """Differences between the database at ``url`` and ``metadata``: Alembic's
    ``compare_metadata`` (with type comparison, which covers timestamp time zones)
    plus column collations."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    def include_object(obj, name, type_, reflected, compare_to):
        return not (type_ == "table" and name in ignore_tables)

    engine = sa.create_engine(str(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_object": include_object}
            )
            return list(compare_metadata(context, metadata)) + _column_details(connection, metadata)
    finally:
        engine.dispose()


def compare_migrations_to_models(alembic_ini_path, metadata, url):
    """Upgrade the (fresh, empty) database at ``url`` to head and list how it differs
    from ``metadata``. A service's test asserts the list is empty."""
    upgrade(alembic_ini_path, url)
    return compare_schema_to_models(url, metadata)


# --- SQLite files built from the migrations ----------------------------------------------


def migrated_sqlite_url(alembic_ini_path, path):
    """Create the SQLite file ``path`` from the migrations; its URL."""
    path = os.fspath(path)
    if os.path.exists(path):
        os.remove(path)
    url = f"sqlite:///{path}"
    upgrade(alembic_ini_path, url)
    return url


def copy_sqlite_database(template_path, path):
    """A copy of a migrated SQLite file (much faster than migrating again); its URL."""
    shutil.copyfile(os.fspath(template_path), os.fspath(path))
    return f"sqlite:///{os.fspath(path)}"


# --- throwaway PostgreSQL databases ------------------------------------------------------


def postgres_admin_url():
    """The server to create test databases on: ``TEST_POSTGRES_URL`` (any database on
    it, normally ``postgres``), else the local server as user ``postgres``."""
    return os.environ.get("TEST_POSTGRES_URL") or DEFAULT_POSTGRES_ADMIN_URL


def postgres_available(admin_url=None):
    engine = sa.create_engine(admin_url or postgres_admin_url(), poolclass=sa.pool.NullPool)
    try:
        with engine.connect():
            return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


def _drop_database(admin_engine, name):
    with admin_engine.connect() as conn:
        if conn.dialect.server_version_info >= (13,):
            # disconnects everyone and drops in one step, so nobody reconnects in between
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')


@contextlib.contextmanager
def temporary_postgres_database(prefix="test", admin_url=None, template=None):
    """Create a uniquely named database (``<prefix>_<random>``) and yield its SQLAlchemy
    URL as a string; drop it afterwards, disconnecting whoever is still connected.

    ``template`` (a database name or URL on the same server, nobody connected to it) makes
    the new database a copy of it: a migrated template copies far faster than migrating.
    """
    admin = sa.engine.make_url(admin_url or postgres_admin_url())
    safe_prefix = "".join(ch if ch.isalnum() else "_" for ch in prefix.lower())[:40] or "test"
    name = f"{safe_prefix}_{uuid.uuid4().hex[:12]}"
    admin_engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with admin_engine.connect() as conn:
            if template:
                source = sa.engine.make_url(template).database if "://" in str(template) else template
                conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
            else:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield admin.set(database=name).render_as_string(hide_password=False)
        finally:
            _drop_database(admin_engine, name)
    finally:
        admin_engine.dispose()


# --- a stand-in for the worker's database dependency -------------------------------------


class FakeDatabase:
    """What ``self.db`` is in a worker, for calling domain functions directly.

    ``publish`` records ``(event_type, data)`` in :attr:`events` instead of writing the
    outbox (pass ``outbox=True`` to write the outbox row as well); ``claim_event`` uses the
    real ``processed_events`` claim on the session.
    """

    def __init__(self, session, source="test", context=None, outbox=False):
        self.session = session
        self.source = source
        self.context = dict(context or ALL_PERMISSIONS_CONTEXT)
        self.outbox = outbox
        self.events = []
        self.pending_event_ids = []
        self._ids = itertools.count(1)

    def publish(self, event_type, data):
        if self.outbox:
            from .outbox import record_event

            event_id = record_event(self.session, self.source, event_type, data, self.context)
        else:
            event_id = f"fake-{next(self._ids)}"
        # a copy as the outbox stores it: later changes to ``data`` are not part of the event,
        # and data that cannot be stored as JSON fails here as it would in the outbox
        self.events.append((event_type, json.loads(json.dumps(data))))
        self.pending_event_ids.append(event_id)
        return event_id

    @contextlib.contextmanager
    def reading(self):
        """The session stands in for the worker's autocommit read connection."""
        yield self.session

    def claim_event(self, event_id):
        from .outbox import claim_event

        return claim_event(self.session, event_id)

    def event_types(self):
        return [event_type for event_type, _ in self.events]

    def events_of(self, event_type):
        return [data for kind, data in self.events if kind == event_type]

    def clear_events(self):
        self.events.clear()
        self.pending_event_ids.clear()


# --- listening to a service's events ------------------------------------------------------


class EventTap:
    """A queue bound to ``<service>.events``: what the service published, in order."""

    def __init__(self, amqp_uri, service, routing_key="#"):
        from kombu import Connection, Queue
        from kombu.serialization import prepare_accept_content
        from nameko.standalone.events import get_event_exchange

        self.connection = Connection(amqp_uri)
        queue = Queue(f"test-tap-{uuid.uuid4().hex}", exchange=get_event_exchange(service, {}),
                      routing_key=routing_key, auto_delete=True, durable=False)
        self.queue = self.connection.SimpleQueue(queue)
        self.queue.consumer.accept = prepare_accept_content(["json"])

    def get(self, timeout=5.0):
        """The next event's envelope (plus its ``_routing_key``), or None after ``timeout``."""
        try:
            message = self.queue.get(block=True, timeout=timeout)
        except self.queue.Empty:
            return None
        message.ack()
        envelope = dict(message.payload)
        envelope["_routing_key"] = message.delivery_info.get("routing_key")
        return envelope

    def drain(self, timeout=0.5):
        events = []
        while (event := self.get(timeout)) is not None:
            events.append(event)
        return events

    def close(self):
        self.queue.close()
        self.connection.release()
