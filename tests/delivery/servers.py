"""Local stand-ins over real HTTP: an Open311 GeoReport v2 back office and a GOV.UK Notify
endpoint (which checks the client's JWT bearer token as Notify does).

Both can be told to fail: `fail_next` answers 500 without acting; `act_then_fail` acts (stores
the report or notification) and then answers 500; `act_then_hang` acts and then holds the
answer past the client's timeout. The last two are the cases where a naive retry sends twice.

The `open311_server` and `notify_server` fixtures start one of each for a test; the delivery and
topology conftests offer them.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from tests.stack import free_port


class _Server:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.lock = threading.Lock()
        self.fail_next = 0
        self.act_then_fail = 0
        self.act_then_hang = 0
        self.hang_seconds = 3.0
        self.latency = 0.0  # seconds added to every answer (a slow back office)
        self.calls: list[tuple[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body are separate writes: without TCP_NODELAY, Nagle and delayed
            # ACKs add ~40 ms to every answer, which would be the stand-in's cost, not ours.
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                with server.lock:
                    server.calls.append((self.command, parts.path))
                status, answer, after = server.handle(self.command, parts.path,
                                                      parse_qs(parts.query), body, self.headers)
                if after == "hang":
                    time.sleep(server.hang_seconds)
                time.sleep(server.latency)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._reply(status, answer)

            do_GET = do_POST = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> _Server:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _fault(self) -> str | None:
        """'fail' (answer 500, do nothing), 'act_fail', 'act_hang' or None, consuming one."""
        with self.lock:
            if self.fail_next:
                self.fail_next -= 1
                return "fail"
            if self.act_then_fail:
                self.act_then_fail -= 1
                return "act_fail"
            if self.act_then_hang:
                self.act_then_hang -= 1
                return "act_hang"
        return None

    def handle(self, method, path, query, body, headers):  # pragma: no cover - overridden
        raise NotImplementedError


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Open311Server(_Server):
    API_KEY = "open311-test-key"

    def __init__(self, codes=("POT", "FLY", "SL", "BIN"), *, tokens: bool = False) -> None:
        super().__init__()
        self.codes = list(codes)
        self.tokens = tokens
        self.requests: dict[str, dict[str, Any]] = {}  # service_request_id -> request
        self.token_ids: dict[str, str] = {}
        self.posts: list[dict[str, str]] = []

    def set_status(self, request_id: str, status: str, notes: str) -> None:
        with self.lock:
            self.requests[request_id].update(status=status, status_notes=notes,
                                             updated_datetime=_now())

    def handle(self, method, path, query, body, headers):
        jurisdiction = (query.get("jurisdiction_id") or [""])[0]
        if path == "/services.json" and method == "GET":
            services = [{"service_code": c, "service_name": c, "type": "realtime",
                         "metadata": False, "jurisdiction": jurisdiction} for c in self.codes]
            return 200, services, None
        if path == "/requests.json" and method == "POST":
            return self._post(body)
        if path == "/requests.json" and method == "GET":
            return 200, self._query(query), None
        if path.startswith("/tokens/") and path.endswith(".json"):
            token = path[len("/tokens/"):-len(".json")]
            with self.lock:
                request_id = self.token_ids.get(token)
            if request_id is None:
                return 404, [{"code": 404, "description": "unknown token"}], None
            return 200, [{"service_request_id": request_id, "token": token}], None
        return 404, [{"code": 404, "description": "not found"}], None

    def _post(self, body: bytes):
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if form.get("api_key") != self.API_KEY:
            return 403, [{"code": 403, "description": "invalid api_key"}], None
        if form.get("service_code") not in self.codes:
            return 400, [{"code": 400, "description": "unknown service_code"}], None
        if not form.get("description") or not (form.get("address_string") or form.get("lat")):
            return 400, [{"code": 400, "description": "description and location needed"}], None
        fault = self._fault()
        if fault == "fail":
            return 500, [{"code": 500, "description": "back office down"}], None
        with self.lock:
            request_id = str(1000 + len(self.requests))
            self.posts.append(form)
            self.requests[request_id] = {
                "service_request_id": request_id, "service_code": form["service_code"],
                "description": form["description"], "address": form.get("address_string"),
                "status": "open", "status_notes": "", "requested_datetime": _now(),
                "updated_datetime": _now(),
            }
            answer: dict[str, str] = {"service_request_id": request_id}
            if self.tokens:
                token = uuid.uuid4().hex
                self.token_ids[token] = request_id
                answer = {"token": token}
        if fault == "act_fail":
            return 500, [{"code": 500, "description": "error after saving"}], None
        return 201, [answer], ("hang" if fault == "act_hang" else None)

    def _query(self, query) -> list[dict[str, Any]]:
        with self.lock:
            rows = list(self.requests.values())
        if "service_request_id" in query:
            wanted = set(query["service_request_id"][0].split(","))
            return [r for r in rows if r["service_request_id"] in wanted]
        if "service_code" in query:
            rows = [r for r in rows if r["service_code"] == query["service_code"][0]]
        if "start_date" in query:
            since = datetime.fromisoformat(query["start_date"][0])
            rows = [r for r in rows if datetime.fromisoformat(r["requested_datetime"]) >= since]
        return rows


class NotifyServer(_Server):
    SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
    SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
    API_KEY = f"test_key-{SERVICE_ID}-{SECRET}"
    EMAIL_TEMPLATE = "f33517ff-2a88-4f6e-b855-c550268ce08a"
    SMS_TEMPLATE = "a3b1c2d3-0000-4000-8000-000000000001"

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[dict[str, Any]] = []
        self.refused_auth = 0

    def _authorised(self, headers) -> bool:
        auth = headers.get("Authorization") or ""
        if not auth.startswith("Bearer "):
            return False
        try:
            claims = jwt.decode(auth[7:], self.SECRET, algorithms=["HS256"])
        except jwt.PyJWTError:
            return False
        return claims.get("iss") == self.SERVICE_ID and abs(claims.get("iat", 0) - time.time()) < 30

    def handle(self, method, path, query, body, headers):
        if not self._authorised(headers):
            self.refused_auth += 1
            return 403, {"status_code": 403, "errors": [
                {"error": "AuthError", "message": "Invalid token: signature"}]}, None
        if method == "GET" and path == "/v2/notifications":
            reference = (query.get("reference") or [None])[0]
            with self.lock:
                found = [n for n in self.sent if reference is None or n["reference"] == reference]
            return 200, {"notifications": found, "links": {}}, None
        if method == "POST" and path in ("/v2/notifications/email", "/v2/notifications/sms"):
            data = json.loads(body or b"{}")
            kind = "email" if path.endswith("email") else "sms"
            template = self.EMAIL_TEMPLATE if kind == "email" else self.SMS_TEMPLATE
            if data.get("template_id") != template:
                return 400, {"status_code": 400, "errors": [
                    {"error": "BadRequestError", "message": "Template not found"}]}, None
            fault = self._fault()
            if fault == "fail":
                return 500, {"status_code": 500, "errors": [
                    {"error": "Exception", "message": "Internal server error"}]}, None
            record = {"id": str(uuid.uuid4()), "reference": data.get("reference"), "type": kind,
                      "email_address": data.get("email_address"),
                      "phone_number": data.get("phone_number"),
                      "personalisation": data.get("personalisation") or {},
                      "status": "created", "created_at": _now()}
            with self.lock:
                self.sent.append(record)
            if fault == "act_fail":
                return 500, {"status_code": 500, "errors": [
                    {"error": "Exception", "message": "Internal server error"}]}, None
            return 201, {"id": record["id"], "reference": record["reference"],
                         "content": {"body": record["personalisation"].get("message")},
                         "template": {"id": template, "version": 1}}, \
                ("hang" if fault == "act_hang" else None)
        return 404, {"status_code": 404, "errors": [{"error": "NotFound"}]}, None


@pytest.fixture(name="open311_server")
def open311_server_fixture():
    server = Open311Server().start()
    yield server
    server.stop()


@pytest.fixture(name="notify_server")
def notify_server_fixture():
    server = NotifyServer().start()
    yield server
    server.stop()
