"""Fixtures for the production topology tests (see tests/topology/harness.py)."""

from __future__ import annotations

import pytest

from storage.migrate import upgrade
from storage.roles import grant_runtime_role, runtime_role
from tests.delivery.servers import notify_server_fixture, open311_server_fixture
from tests.stack import ROOT
from tests.topology.harness import RoundRobinProxy, TopologyStack, services_fixture

# Shared fixtures: `services` (PostgreSQL, Redis), and the Open311 and Notify stand-ins.
__all__ = ["services_fixture", "notify_server_fixture", "open311_server_fixture"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/topology" in str(item.fspath):
            item.add_marker(pytest.mark.topology)


def migrated(services) -> str:
    """Migrate as the owner and grant the runtime role, as `contact-assistant db upgrade` does in
    production; returns the runtime role's DATABASE_URL, which cannot create tables itself."""
    url, owner = services.env["DATABASE_URL"], services.env["DATABASE_OWNER_URL"]
    upgrade(owner)
    grant_runtime_role(owner, runtime_role(url))
    return url


@pytest.fixture(scope="module")
def topology(services):
    proxy = RoundRobinProxy()
    env = {
        **services.env,
        "RASA_URL": proxy.url,
        "WEB_WORKERS": "2",
        "WEB_THREADS": "8",
        "WEB_ACCESS_LOG": "",
    }
    stack = TopologyStack(extra_env=env, rasa_replicas=2,
                          endpoints=str(ROOT / "deploy" / "endpoints.production.yml"))
    stack.env["GUNICORN_BIND"] = f"127.0.0.1:{stack.port}"
    proxy.start([f"http://127.0.0.1:{p}" for p in stack.rasa_ports])
    try:
        stack.prepare()
        stack.start()
        stack.wait_healthy()
        stack.proxy = proxy
        stack.services = services
        yield stack
    finally:
        stack.stop()
        proxy.stop()
