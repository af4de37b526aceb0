"""Fault tests start their own stack (they kill its processes), with the app database on a
loopback PostgreSQL so the database itself can be taken away and brought back."""

from __future__ import annotations

import pytest

from tests.stack import Stack
from tests.topology.harness import prepare_stack, services_fixture, with_dev_model

__all__ = ["services_fixture"]  # the shared `services` fixture (PostgreSQL, Redis)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/fault" in str(item.fspath) and "fault_stack" in item.fixturenames:
            item.add_marker(pytest.mark.e2e)


class FaultStack(Stack):
    def commands(self):
        return with_dev_model(super().commands())

    def prepare(self) -> None:
        prepare_stack(self)


@pytest.fixture(scope="module")
def fault_stack(services):
    # The product default is RASA_TIMEOUT=5; a lower one keeps "a person within 2 seconds"
    # true even when Rasa hangs rather than refuses.
    with FaultStack(extra_env={"DATABASE_URL": services.env["DATABASE_URL"],
                               "DATABASE_OWNER_URL": services.env["DATABASE_OWNER_URL"],
                               "RASA_TIMEOUT": "1.5"}) as stack:
        stack.services = services
        yield stack
