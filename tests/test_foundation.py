"""Configuration, health and the admin CLI skeleton."""

from __future__ import annotations

import pytest

from core.settings import ConfigError, Unmocked, load_settings


def test_missing_secrets_fail_loudly(monkeypatch):
    for name in ("SECRET_KEY", "RASA_TOKEN", "OPTOUT_HMAC_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY, RASA_TOKEN, OPTOUT_HMAC_KEY"):
        load_settings()


def test_malformed_setting_is_a_clear_error(monkeypatch):
    for name in ("SECRET_KEY", "RASA_TOKEN", "OPTOUT_HMAC_KEY"):
        monkeypatch.setenv(name, "x")
    monkeypatch.setenv("RETENTION_DAYS", "ninety")
    with pytest.raises(ConfigError, match="RETENTION_DAYS must be a whole number"):
        load_settings()


def test_unmocked_service_fails_loudly():
    with pytest.raises(RuntimeError, match="not mocked"):
        Unmocked("the Twilio REST client").messages.create(body="hi")


def test_healthz_reports_each_component_and_503_when_one_is_down(client, fake_rasa):
    # The action server is not running in unit tests: it must be reported as down.
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["components"]["database"] == "ok"
    assert response.json["components"]["action_server"] == "down"


def test_security_headers_on_every_response(client):
    headers = client.get("/healthz").headers
    assert "nonce-" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "max-age" in headers["Strict-Transport-Security"]  # public URL is https in tests


def test_database_unavailable_is_a_clear_503_and_nothing_half_written(app, client, fake_rasa):
    from storage.db import Database

    client.post("/api/chat", json={"text": "hello"})
    working = app.extensions["router"].db
    app.extensions["router"].db = Database("sqlite:////nonexistent-dir/app.db")
    try:
        response = client.post("/api/chat", json={"text": "are you there"})
    finally:
        app.extensions["router"].db = working
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert "not saved" in response.json["error"]
    assert [c["text"] for c in fake_rasa.calls] == ["hello"]  # Rasa never saw the lost message
    page = client.get("/api/chat").json
    assert [m["text"] for m in page["messages"] if m["sender"] == "resident"] == ["hello"]
