"""The body of every service's ``migrations/env.py``.

The database is, in order of preference: a connection handed in by a program
(``config.attributes["connection"]``), a URL handed in by a program
(``config.attributes["url"]``), ``alembic -x url=...``, ``sqlalchemy.url`` from the ini
file, and finally ``<SERVICE>_DATABASE_URL`` or the SQLite file ``var/<service>.db``.

SQLite cannot alter most things in place, so migrations run in batch mode
(``render_as_batch``); autogenerate then writes batch operations for every dialect,
which are plain ALTERs on PostgreSQL.
"""
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool

from .config import database_url
from .types import UTCDateTime


def render_item(type_, obj, autogen_context):
    """Write the shared UTCDateTime as the plain column type it stores, so migrations stay
    frozen and import no application code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations(metadata, service):
    config = context.config
    if config.config_file_name is not None and config.attributes.get("configure_logger", True):
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    options = {"target_metadata": metadata, "render_as_batch": True, "render_item": render_item,
               "compare_type": True, "compare_server_default": False}
    url = (config.attributes.get("url")
           or context.get_x_argument(as_dictionary=True).get("url")
           or config.get_main_option("sqlalchemy.url")
           or database_url(service))

    def run(connection):
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()

    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"}, **options)
        with context.begin_transaction():
            context.run_migrations()
    elif config.attributes.get("connection") is not None:
        run(config.attributes["connection"])
    else:
        engine = create_engine(url, poolclass=pool.NullPool)
        try:
            with engine.connect() as connection:
                run(connection)
        finally:
            engine.dispose()
