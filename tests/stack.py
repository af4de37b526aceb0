"""Starts the real three processes (Rasa, action server, Flask under gunicorn) for
end-to-end, fault and benchmark runs, each on a free port with its own database."""

from __future__ import annotations

import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
MODEL = ROOT / "models" / "council.tar.gz"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    def __init__(self, workdir: Path | None = None, *, extra_env: dict[str, str] | None = None,
                 rasa_replicas: int = 1, endpoints: str = "endpoints.yml",
                 web_workers: int = 2) -> None:
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="cca-stack-"))
        self.port, self.action_port = free_port(), free_port()
        self.rasa_ports = [free_port() for _ in range(rasa_replicas)]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.rasa_url = f"http://127.0.0.1:{self.rasa_ports[0]}"
        self.action_url = f"http://127.0.0.1:{self.action_port}"
        self.database_url = f"sqlite:///{self.workdir / 'app.db'}"
        self.endpoints = endpoints
        self.web_workers = web_workers
        self.env = {
            **os.environ,
            "PORT": str(self.port),
            "VAR_DIR": str(self.workdir),
            "DATABASE_URL": self.database_url,
            "RASA_TRACKER_DB": str(self.workdir / "rasa_tracker.db"),
            "RASA_URL": self.rasa_url,
            "ACTION_SERVER_URL": self.action_url,
            "ACTION_ENDPOINT_URL": f"{self.action_url}/webhook",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "RASA_TOKEN": secrets.token_urlsafe(32),
            "OPTOUT_HMAC_KEY": secrets.token_urlsafe(32),
            "TWILIO_AUTH_TOKEN": secrets.token_urlsafe(24),
            "PUBLIC_BASE_URL": self.base_url,
            "OPENING_HOURS": "Mon-Sun 00:00-24:00",
            "RATELIMIT_CHAT": "10000 per minute",
            # Every simulated resident comes from 127.0.0.1: the per-address budget (a library's
            # shared IP) must not cap a load test of hundreds of residents.
            "RATELIMIT_CHAT_IP": "100000 per minute",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "PYTHONWARNINGS": "ignore",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "SANIC_HOST": "127.0.0.1",
            "RASA_TELEMETRY_ENABLED": "false",
        }
        self.env.update(extra_env or {})
        self.database_url = self.env["DATABASE_URL"]
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}

    # --- commands -------------------------------------------------------------------------

    def commands(self) -> dict[str, list[str]]:
        cmds = {
            "actions": [str(VENV_BIN / "python"), "-m", "rasa_sdk", "--actions", "bot.actions",
                        "--port", str(self.action_port), "--quiet"],
            "web": [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{self.port}",
                    "--workers", str(self.web_workers), "--threads", "8", "--timeout", "60",
                    # as make run: residents pause longer than gunicorn's 2 s default keep-alive
                    "--keep-alive", "75",
                    "contact_assistant.app:create_app()"],
        }
        for i, port in enumerate(self.rasa_ports):
            cmds[f"rasa{i}" if i else "rasa"] = [
                str(VENV_BIN / "rasa"), "run", "--model", str(MODEL), "--endpoints", self.endpoints,
                # No --enable-api and no token on the command line (as the Procfile): the
                # input channels read RASA_TOKEN from the environment.
                "--credentials", "credentials.yml",
                "--interface", "127.0.0.1", "--port", str(port), "--quiet",
            ]
        return cmds

    def prepare(self) -> None:
        """Migrate the database and load the sample data, as `make run` does."""
        if not MODEL.exists():
            raise RuntimeError("no trained model: run `bash scripts/train.sh` first")
        cli = str(VENV_BIN / "contact-assistant")
        for args in (["db", "upgrade"], ["data", "load-sample"]):
            subprocess.run([cli, *args], cwd=ROOT, env=self.env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self, *names: str) -> None:
        for name, cmd in self.commands().items():
            if names and name not in names:
                continue
            log = self.workdir / f"{name}.log"
            self.logs[name] = log
            self.procs[name] = subprocess.Popen(
                cmd, cwd=ROOT, env=self.env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def stop(self) -> None:
        for name in list(self.procs):
            proc = self.procs.pop(name)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in list(self.procs.values()):
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)

    def wait_healthy(self, timeout: float = 240) -> float:
        start = time.monotonic()
        last = None
        while time.monotonic() - start < timeout:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited early:\n{self.tail(name)}")
            try:
                r = requests.get(f"{self.base_url}/healthz", timeout=3)
                last = r.text
                if r.status_code == 200 and all(self._rasa_ready(p) for p in self.rasa_ports):
                    return time.monotonic() - start
            except requests.RequestException as exc:
                last = repr(exc)
            time.sleep(0.5)
        raise TimeoutError(f"stack not healthy after {timeout}s: {last}\n"
                           + "\n".join(self.tail(n) for n in self.procs))

    def _rasa_ready(self, port: int) -> bool:
        try:
            r = requests.get(f"http://127.0.0.1:{port}/webhooks/webchat/health",
                             headers={"Authorization": f"Bearer {self.env['RASA_TOKEN']}"},
                             timeout=2)
            return r.status_code == 200 and r.json().get("model") is True
        except requests.RequestException:
            return False

    def wait_rasa(self, timeout: float = 180) -> None:
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if all(self._rasa_ready(p) for p in self.rasa_ports):
                return
            time.sleep(0.5)
        raise TimeoutError("rasa not ready")

    def tail(self, name: str, lines: int = 30) -> str:
        log = self.logs.get(name)
        if not log or not log.exists():
            return f"[{name}: no log]"
        text = log.read_text(errors="replace").splitlines()[-lines:]
        return f"--- {name} ---\n" + "\n".join(text)

    def rss_mb(self) -> dict[str, float]:
        """Resident memory of each process tree, from /proc."""
        out = {}
        for name, proc in self.procs.items():
            total = 0
            for pid in _tree(proc.pid):
                try:
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1])
                except OSError:
                    pass
            out[name] = round(total / 1024, 1)
        return out

    def __enter__(self) -> Stack:
        self.prepare()
        self.start()
        self.wait_healthy()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _tree(pid: int) -> list[int]:
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return pids
    for child in children:
        pids.extend(_tree(int(child)))
    return pids


if __name__ == "__main__":  # manual use: python -m tests.stack
    with Stack() as stack:
        print("stack up:", stack.base_url, shlex.join(sys.argv))
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
