"""Advisor sessions: revoked on sign-out and password reset (a copied cookie stops working),
an absolute limit the one-second polling cannot extend, and an idle limit polling does not
reset."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from contact_assistant import cli as root
from handoff.console import sessions
from tests.handoff.console.conftest import add_advisor, csrf_from, https_client, login

HOUR = 3600


def _signed_in(app, db, email: str = "sam@example.gov.uk"):
    add_advisor(db, "advisor", email=email)
    client = https_client(app)
    assert login(client, email).status_code == 303
    return client


def _copy(app, client):
    """Another browser holding a copy of `client`'s session cookie."""
    thief = https_client(app)
    cookie = client.get_cookie("session", domain="localhost")
    thief.set_cookie(cookie.key, cookie.value, domain="localhost")
    return thief


def test_a_cookie_copied_before_sign_out_is_refused_after_it(app, db):
    advisor = _signed_in(app, db)
    thief = _copy(app, advisor)
    assert thief.get("/advisor").status_code == 200  # a copy works while the session is live
    page = advisor.get("/advisor").get_data(as_text=True)
    advisor.post("/advisor/logout", data={"csrf_token": csrf_from(page)})
    response = thief.get("/advisor")
    assert response.status_code == 302 and response.headers["Location"].startswith("/advisor/login")
    assert thief.get("/advisor/api/queue").status_code == 401
    assert thief.get("/advisor/reports/").status_code == 302  # every console page, not just some


def test_a_password_reset_signs_the_advisor_out_everywhere(app, db, monkeypatch):
    advisor = _signed_in(app, db)
    monkeypatch.setattr(root, "get_app", lambda: app)
    result = CliRunner().invoke(root.main, ["advisor", "reset-password", "sam@example.gov.uk",
                                            "--password-stdin"], input="a new long password\n")
    assert result.exit_code == 0, result.output
    assert advisor.get("/advisor").status_code == 302
    page = advisor.get("/advisor/login").get_data(as_text=True)
    assert "For your security, you were signed out" in page


@pytest.fixture
def clock(monkeypatch):
    """Moves the sessions' clock: clock(hours=...) sets the time since the test started."""
    start = sessions._now()
    now = {"t": start}
    monkeypatch.setattr(sessions, "_now", lambda: now["t"])

    def move(hours: float = 0, minutes: float = 0) -> None:
        now["t"] = start + hours * HOUR + minutes * 60

    return move


def test_polling_cannot_keep_a_session_past_the_absolute_limit(app, db, clock):
    assert app.config["ADVISOR_SESSION_HOURS"] == 8
    advisor = _signed_in(app, db)
    # A busy day: a page every 20 minutes and polls in between, for 7 hours 59 minutes.
    for minutes in range(0, 8 * 60, 20):
        clock(minutes=minutes)
        assert advisor.get("/advisor").status_code == 200, minutes
        clock(minutes=minutes + 10)
        assert advisor.get("/advisor/api/queue").status_code == 200, minutes
    clock(hours=8, minutes=1)
    assert advisor.get("/advisor/api/queue").status_code == 401
    assert advisor.get("/advisor").status_code == 302


def test_polling_alone_does_not_count_as_being_at_the_console(app, db, clock):
    advisor = _signed_in(app, db)
    for minutes in (5, 15, 25, 29):
        clock(minutes=minutes)
        assert advisor.get("/advisor/api/queue").status_code == 200
    clock(minutes=31)  # 31 minutes with nothing but the page polling by itself
    assert advisor.get("/advisor/api/queue").status_code == 401


def test_the_absolute_limit_is_configurable(app, db, clock):
    app.config["ADVISOR_SESSION_HOURS"] = 1
    advisor = _signed_in(app, db)
    clock(minutes=25)
    assert advisor.get("/advisor").status_code == 200
    clock(minutes=50)
    assert advisor.get("/advisor").status_code == 200
    clock(minutes=61)
    assert advisor.get("/advisor").status_code == 302
