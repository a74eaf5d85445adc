"""Integration tests: real PostgreSQL (and the migrations)."""

import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        if "/tests/integration/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.integration)
