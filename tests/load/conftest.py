"""The load and soak test starts its own stack (its database is checked afterwards)."""

from __future__ import annotations

import pytest

from tests.fault.conftest import FaultStack


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/load" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="module")
def load_stack():
    # The product defaults (RASA_TIMEOUT 5 s), SQLite as `make run` uses.
    with FaultStack() as stack:
        yield stack
