"""The whole product, started as `make run` starts it: real Rasa, action server and Flask."""

from __future__ import annotations

import requests


def test_every_component_is_healthy(stack):
    body = requests.get(f"{stack.base_url}/healthz", timeout=5).json()
    assert body["status"] == "ok"
    assert body["components"] == {
        "database": "ok", "rasa": "ok", "action_server": "ok", "delivery": "ok"}
    assert body["delivery"]["overdue_after_seconds"] == 900


def test_hello_typed_in_web_chat_is_answered_by_the_trained_model(stack):
    web = requests.Session()
    r = web.post(f"{stack.base_url}/api/chat", json={"text": "hello"}, timeout=30)
    assert r.status_code == 200
    body = r.json()
    assert body["state"] == "bot"
    assert body["replies"], "the assistant must answer"
    said = " ".join(reply["text"] for reply in body["replies"]).lower()
    assert "automated" in said  # it says it is an automated assistant in its first message
    assert {"title": "Talk to a person", "payload": "/request_human"} in body["actions"]


def test_rasa_http_api_refuses_requests_without_its_token(stack):
    # Rasa runs without --enable-api: its HTTP API is not there at all.
    assert requests.get(f"{stack.rasa_url}/status", timeout=5).status_code == 404
    r = requests.post(f"{stack.rasa_url}/webhooks/webchat/webhook",
                      json={"sender": "x", "message": "hello"}, timeout=5)
    assert r.status_code == 401
    r = requests.post(f"{stack.rasa_url}/model/parse", json={"text": "hello"}, timeout=5)
    assert r.status_code == 404
