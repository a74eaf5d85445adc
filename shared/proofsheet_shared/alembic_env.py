"""The body of every service's ``migrations/env.py``: one way to find the URL and run."""
from alembic import context
from .config import database_url
from .db import create_db_engine
from .types import UTCDateTime


def _render_item(type_, obj, autogen_context):
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _compare_type(_context, _inspected, _metadata_col, inspected_type, metadata_type):
    if isinstance(metadata_type, UTCDateTime):
        return not hasattr(inspected_type, "timezone") and inspected_type.__class__.__name__ != "DATETIME"
    return None


def run_migrations(metadata, service):
    """Migrate ``service``'s database: ``-x url=...``, else ``<SERVICE>_DATABASE_URL``, else SQLite."""
    url = context.get_x_argument(as_dictionary=True).get("url") or database_url(service)
    options = {"target_metadata": metadata, "render_as_batch": url.startswith("sqlite"),
               "render_item": _render_item, "compare_type": _compare_type}
    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_db_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
