"""Alembic environment of the clients service.

The database is, in order of preference:

1. a connection handed in by a program (``config.attributes["connection"]``),
2. a URL handed in by a program (``config.attributes["url"]``),
3. ``alembic -x url=...`` on the command line,
4. ``sqlalchemy.url`` if an ini file sets it,
5. ``proofsheet_shared.config.database_url("clients")``: ``CLIENTS_DATABASE_URL``, else
   the SQLite file ``var/clients.db``.

SQLite cannot alter most things in place, so migrations run in batch mode there
(``render_as_batch``), and autogenerate writes batch operations for every dialect.
"""
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool

from clients.models import Base
from proofsheet_shared.config import database_url
from proofsheet_shared.types import UTCDateTime

SERVICE = "clients"

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _url():
    return (config.attributes.get("url")
            or context.get_x_argument(as_dictionary=True).get("url")
            or config.get_main_option("sqlalchemy.url")
            or database_url(SERVICE))


def render_item(type_, obj, autogen_context):
    """Write the shared UTCDateTime as the plain column type it stores, so migrations
    stay frozen and do not import application code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _options():
    return {
        "target_metadata": target_metadata,
        "render_as_batch": True,  # SQLite needs batch mode; on PostgreSQL batch ops are plain ALTERs
        "render_item": render_item,
        "compare_type": True,
        "compare_server_default": False,
    }


def run_migrations_offline():
    url = _url()
    context.configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"},
                      **_options())
    with context.begin_transaction():
        context.run_migrations()


def _run(connection):
    context.configure(connection=connection, **_options())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
