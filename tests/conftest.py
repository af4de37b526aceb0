"""Fixtures in the Flask tutorial's style: a fresh app and database per test.

The test config fails loudly on any external service a test did not replace
(see core.settings.Unmocked); `fake_rasa` and `fake_twilio` replace them.
"""

from __future__ import annotations

import os
from datetime import date

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

from contact_assistant.app import create_app  # noqa: E402
from core.settings import test_settings  # noqa: E402
from services import dates  # noqa: E402
from services.db import dispose_all, get_database  # noqa: E402
from services.sample_data import load_sample  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Advisor  # noqa: E402
from tests.chromium import launch_browser  # noqa: E402
from tests.fakes import FakeRasa, FakeTwilio  # noqa: E402


@pytest.fixture
def database_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'test.db'}"
    upgrade(url)  # the real migrations, so tests cover them too
    return url


# A Thursday; sample rounds are anchored on Monday 5 January 2026.
TODAY = date(2026, 11, 26)


@pytest.fixture
def sample_db(database_url, monkeypatch):
    """The real migrated schema with the sample data, named by DATABASE_URL exactly as the
    action server finds it; today is fixed."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setattr(dates, "today", lambda: TODAY)
    db = get_database(database_url)
    load_sample(db)
    yield db
    dispose_all()


@pytest.fixture
def settings(database_url):
    return test_settings(database_url)


@pytest.fixture
def fake_rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
def fake_twilio() -> FakeTwilio:
    return FakeTwilio()


@pytest.fixture
def app(settings, fake_rasa, fake_twilio):
    app = create_app(settings, rasa=fake_rasa, twilio=fake_twilio)
    app.config.update(TESTING=True)
    yield app
    app.extensions["db"].engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    return app.extensions["db"]


@pytest.fixture
def router(app):
    return app.extensions["router"]


def add_advisor_row(s, *, name: str = "Sam", email: str = "sam@example.gov.uk", **fields) -> int:
    """An advisor in session `s` for tests that act as one through handoff.queue; returns the id.
    They cannot sign in (no real password): console tests use tests/handoff/console/conftest.py's
    add_advisor for that."""
    advisor = Advisor(name=name, email=email, password_hash="x", **{"role": "advisor", **fields})
    s.add(advisor)
    s.flush()
    return advisor.id


@pytest.fixture(scope="session")
def browser():
    """One Debian chromium for every browser test (see tests/chromium.py)."""
    yield from launch_browser()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI=true no test may skip: a skip (a missing module, route, browser or service) is
    reported as a failure, so a security or browser test can never quietly vanish from CI."""
    outcome = yield
    report = outcome.get_result()
    if (report.skipped and not hasattr(report, "wasxfail")
            and os.environ.get("CI", "").lower() == "true"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped under CI=true (not allowed): {reason}"
