"""Helpers for the security suite: Twilio signatures, advisor sign-in, route discovery."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from twilio.request_validator import RequestValidator

from channels.twilio_auth import signed_url
from handoff.console.auth import create_advisor

PASSWORD = "correct horse battery staple 42"  # noqa: S105 - a test password
TWILIO_PREFIXES = ("/voice/", "/sms/")
# The documented Twilio webhooks (docs/architecture.md, channels/voice.py, channels/sms.py).
DOCUMENTED_TWILIO_ROUTES = ["/voice/incoming", "/voice/respond", "/voice/status", "/voice/wait",
                            "/sms/incoming"]
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def sign(app: Flask, path: str, params: dict[str, str], query: str = "") -> dict[str, str]:
    """X-Twilio-Signature for `params` posted to `path` (as Twilio computes it)."""
    url = signed_url(app.config["PUBLIC_BASE_URL"], path, query)
    signature = RequestValidator(app.config["TWILIO_AUTH_TOKEN"]).compute_signature(url, params)
    return {"X-Twilio-Signature": signature}


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no csrf_token field in the page"
    return match.group(1) or match.group(2)


def routes(app: Flask, prefix: str, method: str) -> Iterator[tuple[str, str]]:
    """(rule, endpoint) of every route under `prefix` answering `method`, static files aside."""
    for rule in app.url_map.iter_rules():
        if (rule.rule.startswith(prefix) and method in rule.methods
                and "static" not in rule.endpoint):
            yield rule.rule, rule.endpoint


def concrete(rule: str, value: int = 1) -> str:
    """A URL for a rule: every <converter:name> becomes `value`."""
    return re.sub(r"<(?:[^:>]+:)?[^>]+>", str(value), rule)


def add_advisor(db, role: str = "advisor", email: str | None = None) -> int:
    with db.session() as s:
        return create_advisor(s, name=f"Test {role}", email=email or f"{role}@example.gov.uk",
                              role=role, password=PASSWORD).id


def sign_in(client, email: str) -> str:
    """Sign in through the real form; returns a CSRF token valid for this session."""
    from tests.handoff.console.conftest import login

    r = login(client, email, PASSWORD)  # password, then first-time two-factor enrolment
    assert r.status_code in (200, 303), r.get_data(as_text=True)[:500]
    assert client.get("/advisor/").status_code == 200
    return csrf_token(client.get("/advisor/").get_data(as_text=True))


@pytest.fixture
def client(app):
    """The app's test client. Requests are HTTPS (PUBLIC_BASE_URL is https), so Flask-WTF's
    strict referrer check applies: a same-site Referer, as a browser sends."""
    c = app.test_client()
    c.environ_base["HTTP_REFERER"] = "https://localhost/"
    return c


@pytest.fixture
def advisor_client(app, client, db):
    """A client signed in as an admin (who may use every console route), and its CSRF token."""
    add_advisor(db, "admin", "admin@example.gov.uk")
    token = sign_in(client, "admin@example.gov.uk")
    return client, token


def has_blueprint(app: Flask, name: str) -> bool:
    return name in app.blueprints
