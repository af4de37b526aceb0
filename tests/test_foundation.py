"""Configuration, health and the admin CLI skeleton."""

from __future__ import annotations

import dataclasses

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


@pytest.mark.parametrize(("hours", "reason"), [
    ("9 to 5", "should look like 'Mon-Fri 09:00-17:00'"),
    ("Mon-Fri 17:00-09:00", "close before they open"),
])
def test_unreadable_opening_hours_stop_the_app_starting(settings, fake_rasa, fake_twilio, hours,
                                                        reason):
    from contact_assistant.app import create_app

    with pytest.raises(ConfigError, match=f"OPENING_HOURS: .*{reason}"):
        create_app(dataclasses.replace(settings, opening_hours=hours), rasa=fake_rasa,
                   twilio=fake_twilio)


def test_unmocked_service_fails_loudly():
    with pytest.raises(RuntimeError, match="not mocked"):
        Unmocked("the Twilio REST client").messages.create(body="hi")


def test_healthz_reports_each_component_and_503_when_one_is_down(client, fake_rasa):
    # The action server is not running in unit tests: it must be reported as down.
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["components"]["database"] == "ok"
    assert response.json["components"]["action_server"] == "down"


@pytest.fixture
def other_parts_up(app, monkeypatch, fake_rasa):
    """Rasa (FakeRasa, at a configured URL) and the action server up, so /healthz answers on
    delivery alone."""
    monkeypatch.setattr("contact_assistant.health.action_server_ok", lambda url: True)
    fake_rasa.healthy = True
    app.extensions["settings"] = dataclasses.replace(app.extensions["settings"],
                                                     rasa_url="http://127.0.0.1:5005")


def _outbox_row(db, key: str, *, due_ago: float, state: str = "pending", attempts: int = 0):
    from datetime import timedelta

    from storage.models import OutboxMessage, utcnow

    with db.session() as s:
        s.add(OutboxMessage(kind="sms", idempotency_key=key, payload={}, state=state,
                            attempts=attempts,
                            next_attempt_at=utcnow() - timedelta(seconds=due_ago)))


def test_healthz_reports_the_delivery_worker(client, db, fake_rasa, other_parts_up):
    assert client.get("/healthz").json["delivery"]["oldest_due_seconds"] is None
    _outbox_row(db, "a", due_ago=60)  # a minute behind: the worker is busy, not down
    _outbox_row(db, "b", due_ago=0, attempts=2)  # being retried after failures
    _outbox_row(db, "c", due_ago=5000, state="failed")  # given up: not due any more
    r = client.get("/healthz")
    assert r.status_code == 200, r.json
    delivery = r.json["delivery"]
    assert r.json["components"]["delivery"] == "ok"
    assert 55 <= delivery["oldest_due_seconds"] <= 120
    assert (delivery["due"], delivery["retrying"], delivery["failed"]) == (2, 1, 1)
    assert delivery["failing"] is True and delivery["overdue_after_seconds"] == 900


def test_healthz_is_503_when_deliveries_are_overdue(app, client, db, fake_rasa,
                                                     other_parts_up):
    _outbox_row(db, "late", due_ago=1000)  # longer than the 900-second default
    r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json["components"] == {"database": "ok", "rasa": "ok", "action_server": "ok",
                                    "delivery": "overdue"}
    # The threshold is a setting: a council whose worker runs every half hour raises it.
    app.extensions["settings"] = dataclasses.replace(app.extensions["settings"],
                                                     health_outbox_overdue_seconds=1800)
    assert client.get("/healthz").status_code == 200


def test_the_overdue_threshold_is_read_from_the_environment(monkeypatch):
    for name in ("SECRET_KEY", "RASA_TOKEN", "OPTOUT_HMAC_KEY"):
        monkeypatch.setenv(name, "x")
    monkeypatch.setenv("HEALTH_OUTBOX_OVERDUE_SECONDS", "120")
    assert load_settings().health_outbox_overdue_seconds == 120


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
