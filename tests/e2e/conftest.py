"""One real stack (Rasa, action server, Flask) shared by every end-to-end test in a run."""

from __future__ import annotations

import pytest

from tests.stack import Stack


@pytest.fixture(scope="session")
def stack():
    with Stack() as s:  # prepared, started and healthy; stopped after the last test
        yield s


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
