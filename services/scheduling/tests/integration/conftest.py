"""Integration tests: real PostgreSQL (a throwaway database per test, cloned from a template
migrated once per run)."""

import pytest

from proofsheet_shared import testing


def pytest_collection_modifyitems(items):
    for item in items:
        if "/tests/integration/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def pg_template(alembic_ini):
    with testing.temporary_postgres_database("scheduling_template") as url:
        testing.upgrade(alembic_ini, url)
        yield url


@pytest.fixture
def pg_url(pg_template):
    with testing.temporary_postgres_database("scheduling_test", template=pg_template) as url:
        yield url
