"""Shared by the topology, fault and load tests: PostgreSQL and Redis on loopback
(scripts/topology.sh), a round-robin proxy in front of the Rasa replicas, and a Stack that runs
gunicorn from deploy/gunicorn.conf.py as in production."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from tests.stack import ROOT, VENV_BIN, Stack, free_port

TOPOLOGY = ROOT / "scripts" / "topology.sh"
DEV_MODEL = "CCA_DEV_MODEL"  # development only: run the stack on another model file


def with_dev_model(cmds: dict[str, list[str]]) -> dict[str, list[str]]:
    model = os.environ.get(DEV_MODEL)
    if model:
        for name, cmd in cmds.items():
            if name.startswith("rasa"):
                cmd[cmd.index("--model") + 1] = model
    return cmds


def prepare_stack(stack: Stack) -> None:
    """Stack.prepare (migrate, load the sample data), also when CCA_DEV_MODEL replaces the model."""
    if not os.environ.get(DEV_MODEL):
        Stack.prepare(stack)
        return
    for args in (["db", "upgrade"], ["data", "load-sample"]):
        subprocess.run([str(VENV_BIN / "contact-assistant"), *args], cwd=ROOT, env=stack.env,
                       check=True, capture_output=True)


def read_env(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


class DataServices:
    """PostgreSQL and Redis on free loopback ports, via scripts/topology.sh."""

    def __init__(self) -> None:
        self.parent = Path(tempfile.mkdtemp(prefix="cca-topology-"))
        self.parent.chmod(0o755)  # the servers run as `nobody` when we are root
        self.dir = self.parent / "services"
        self.env: dict[str, str] = {}

    def start(self) -> dict[str, str]:
        out = subprocess.run(["bash", str(TOPOLOGY), "start", str(self.dir)], capture_output=True,
                             text=True, check=False, timeout=120)
        if out.returncode != 0:
            raise RuntimeError(f"topology.sh start failed:\n{out.stdout}\n{out.stderr}")
        self.env = read_env(out.stdout)
        return self.env

    def stop(self) -> None:
        subprocess.run(["bash", str(TOPOLOGY), "stop", str(self.dir)], check=False, timeout=60,
                       capture_output=True)
        shutil.rmtree(self.parent, ignore_errors=True)

    def postgres(self, action: str) -> None:
        """Take PostgreSQL away ("stop", immediate shutdown) or bring it back ("start")."""
        subprocess.run(["bash", str(TOPOLOGY), f"pg-{action}", str(self.dir)], check=True,
                       timeout=90, capture_output=True)

    def tracker_connection(self):
        import psycopg2

        e = self.env
        return psycopg2.connect(host=e["RASA_TRACKER_DB_HOST"], port=int(e["RASA_TRACKER_DB_PORT"]),
                                dbname=e["RASA_TRACKER_DB_NAME"], user=e["RASA_TRACKER_DB_USER"],
                                password=e["RASA_TRACKER_DB_PASSWORD"])

    def app_connection(self):
        """As the app's runtime role (no UPDATE, DELETE or TRUNCATE on the register)."""
        import psycopg2

        return psycopg2.connect(self.env["DATABASE_URL"].replace("+psycopg2", ""))

    def owner_connection(self):
        """As the tables' owner (migrations only)."""
        import psycopg2

        return psycopg2.connect(self.env["DATABASE_OWNER_URL"].replace("+psycopg2", ""))

    def redis(self):
        import redis

        return redis.Redis(host="127.0.0.1", port=int(self.env["REDIS_PORT"]),
                           password=self.env["REDIS_PASSWORD"])


@pytest.fixture(scope="module", name="services")
def services_fixture():
    """PostgreSQL and Redis for one test module (the fault and topology suites share it)."""
    svc = DataServices()
    svc.start()
    yield svc
    svc.stop()


@dataclass
class Served:
    replica: int
    sender: str | None
    text: str | None


def _sender_and_text(body: bytes | None) -> tuple[str | None, str | None]:
    try:
        data = json.loads(body or b"{}")
        return data.get("sender"), data.get("message")
    except (ValueError, AttributeError):
        return None, None


class RoundRobinProxy:
    """Forwards each HTTP request to the next Rasa replica in turn and records who served it."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.backends: list[str] = []
        self.served: list[Served] = []  # webhook calls, in the order they arrived
        self._counters: dict[str, int] = {}
        self._lock = threading.Lock()
        self._http = requests.Session()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                webhook = "/webhooks/" in self.path
                sender, text = _sender_and_text(body) if webhook else (None, None)
                with proxy._lock:
                    # Each conversation's messages alternate strictly between the replicas
                    # (new conversations start on alternate replicas too); other calls
                    # (health checks) take turns on their own counter.
                    key = f"sender:{sender}" if sender else "other"
                    if key not in proxy._counters:
                        proxy._counters[key] = len(proxy._counters)
                    index = proxy._counters[key] % len(proxy.backends)
                    proxy._counters[key] += 1
                    if webhook:
                        proxy.served.append(Served(index, sender, text))
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() in ("authorization", "content-type", "accept")}
                try:
                    r = proxy._http.request(self.command, proxy.backends[index] + self.path,
                                            data=body, headers=headers, timeout=30)
                    status, content = r.status_code, r.content
                    ctype = r.headers.get("Content-Type", "application/json")
                except requests.RequestException:
                    status, content, ctype = 502, b'{"error": "bad gateway"}', "application/json"
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self, backends: list[str]) -> None:
        self.backends = backends
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class TopologyStack(Stack):
    """The Stack, with the Flask app started from deploy/gunicorn.conf.py as in production."""

    def prepare(self) -> None:
        prepare_stack(self)

    def commands(self) -> dict[str, list[str]]:
        cmds = super().commands()
        cmds["web"] = [str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
                       "contact_assistant.app:create_app()"]
        return with_dev_model(cmds)
