"""The app checks Rasa's health through our input channel, with the token in a header.

Before: GET /status?token=... on Rasa's HTTP API (only there with --enable-api), so the token sat
in a URL that proxies and access logs keep."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from handoff.rasa_client import RasaClient


@pytest.fixture
def fake_rasa_server():
    seen: list[dict] = []
    answer = {"status": 200, "body": {"status": "ok", "model": True}}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            seen.append({"path": self.path, "auth": self.headers.get("Authorization")})
            body = json.dumps(answer["body"]).encode()
            self.send_response(answer["status"])
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen, answer
    server.shutdown()
    server.server_close()


def test_health_goes_to_our_channel_with_the_token_in_a_header(fake_rasa_server):
    url, seen, _ = fake_rasa_server
    assert RasaClient(url, "s3cret-token").status() is True
    assert seen == [{"path": "/webhooks/webchat/health", "auth": "Bearer s3cret-token"}]
    assert "s3cret-token" not in seen[0]["path"]


@pytest.mark.parametrize("status,body", [(503, {"status": "loading", "model": False}),
                                         (401, {"error": "unauthorised"}),
                                         (200, {"status": "ok"})])
def test_rasa_without_a_loaded_model_or_refusing_the_token_is_down(fake_rasa_server, status,
                                                                   body):
    url, _, answer = fake_rasa_server
    answer.update(status=status, body=body)
    assert RasaClient(url, "token").status() is False


def test_rasa_unreachable_is_down():
    assert RasaClient("http://127.0.0.1:9", "token").status() is False
