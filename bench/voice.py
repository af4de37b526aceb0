"""Phone webhook latency: POST /voice/respond p50/p95, beside the Rasa call inside it.

Runs against a running stack (`make run`, or tests/stack.py) and reads it from the environment:
RASA_URL, RASA_TOKEN, DATABASE_URL, TWILIO_AUTH_TOKEN, PUBLIC_BASE_URL, and BENCH_BASE_URL
(default http://127.0.0.1:$PORT) for the web process.

Two measurements:
- in process: the app is built here with its RasaClient wrapped in a timer, pointed at the
  stack's Rasa and database, and driven through Flask's test client. Each webhook's time is
  paired with the time of the Rasa call inside it, so the overhead (webhook minus Rasa:
  signature check, database, TwiML) is exact per request;
- over HTTP: the same signed webhooks to the stack's own web process (gunicorn), end to end.

    python -m bench.voice            # prints JSON
    from bench.voice import measure  # the lead's bench/__main__.py calls measure(env)
"""

from __future__ import annotations

import json
import os
import secrets
import statistics
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import requests
from twilio.request_validator import RequestValidator

# Clear, everyday requests that the assistant answers without handing over.
CALLS = [
    ["when is my bin day", "HR1 2AB", "thank you"],
    ["what time does the library open", "Hereford library", "thanks"],
    ["how do i pay my council tax", "thank you"],
    ["when is my recycling collected", "HR4 9AB", "thanks"],
    ["I want to apply for a parking permit", "thank you"],
]


class TimedRasa:
    """Wraps the RasaClient: records how long each `send` took (seconds)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.timings: list[float] = []

    def send(self, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return self.inner.send(*args, **kwargs)
        finally:
            self.timings.append(time.perf_counter() - start)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def percentiles(seconds: list[float]) -> dict[str, float | int | None]:
    if not seconds:
        return {"n": 0, "p50": None, "p95": None}
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[0] if len(ms) == 1 else statistics.quantiles(ms, n=20, method="inclusive")[18]
    return {"n": len(ms), "p50": round(statistics.median(ms), 1), "p95": round(p95, 1)}


@contextmanager
def _environment(env: Mapping[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update({k: v for k, v in env.items() if isinstance(v, str)})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class _Signer:
    def __init__(self, public_base_url: str, token: str) -> None:
        self.public = public_base_url.rstrip("/")
        self.validator = RequestValidator(token)

    def headers(self, path: str, params: dict[str, str]) -> dict[str, str]:
        return {"X-Twilio-Signature": self.validator.compute_signature(self.public + path, params)}


def _params(sid: str, **extra: str) -> dict[str, str]:
    return {"CallSid": sid, "AccountSid": "AC" + "0" * 32, "From": "+447700900" + sid[-3:],
            "To": "+441432000000", "CallStatus": "in-progress", "Direction": "inbound", **extra}


def _turns(rounds: int) -> Iterator[tuple[str, str, bool]]:
    """(call sid, utterance, first turn of the call?) for `rounds` passes over CALLS."""
    for _ in range(rounds):
        for call in CALLS:
            sid = "CA" + secrets.token_hex(16)
            for i, utterance in enumerate(call):
                yield sid, utterance, i == 0


def measure_in_process(env: Mapping[str, str], rounds: int = 4) -> dict[str, Any]:
    from contact_assistant.app import create_app
    from core.settings import load_settings
    from handoff.rasa_client import RasaClient

    with _environment(env):
        settings = load_settings()
    rasa = TimedRasa(RasaClient(settings.rasa_url, settings.rasa_token, settings.rasa_timeout))
    app = create_app(settings, rasa=rasa)
    client = app.test_client()
    signer = _Signer(settings.public_base_url, settings.twilio_auth_token)
    webhook, inside, overhead = [], [], []
    errors = 0
    for sid, utterance, first in _turns(rounds):
        if first:
            params = _params(sid, CallStatus="ringing")
            client.post("/voice/incoming", data=params, headers=signer.headers("/voice/incoming",
                                                                                params))
        params = _params(sid, SpeechResult=utterance, Confidence="0.9")
        headers = signer.headers("/voice/respond", params)
        calls_before = len(rasa.timings)
        start = time.perf_counter()
        r = client.post("/voice/respond", data=params, headers=headers)
        elapsed = time.perf_counter() - start
        if r.status_code != 200 or b"<Gather" not in r.data:
            errors += 1
        webhook.append(elapsed)
        if len(rasa.timings) > calls_before:
            rasa_time = sum(rasa.timings[calls_before:])
            inside.append(rasa_time)
            overhead.append(elapsed - rasa_time)
    app.extensions["db"].engine.dispose()
    return {"webhook_ms": percentiles(webhook), "rasa_ms": percentiles(inside),
            "overhead_ms": percentiles(overhead), "not_listening": errors}


def measure_http(env: Mapping[str, str], rounds: int = 4) -> dict[str, Any]:
    base = env.get("BENCH_BASE_URL") or f"http://127.0.0.1:{env.get('PORT', '8000')}"
    public = env.get("PUBLIC_BASE_URL") or base
    signer = _Signer(public, env["TWILIO_AUTH_TOKEN"])
    http = requests.Session()
    webhook: list[float] = []
    errors = 0
    for sid, utterance, first in _turns(rounds):
        if first:
            params = _params(sid, CallStatus="ringing")
            http.post(f"{base}/voice/incoming", data=params,
                      headers=signer.headers("/voice/incoming", params), timeout=60)
        params = _params(sid, SpeechResult=utterance, Confidence="0.9")
        start = time.perf_counter()
        r = http.post(f"{base}/voice/respond", data=params,
                      headers=signer.headers("/voice/respond", params), timeout=60)
        webhook.append(time.perf_counter() - start)
        if r.status_code != 200 or "<Gather" not in r.text:
            errors += 1
    return {"webhook_ms": percentiles(webhook), "not_listening": errors, "base_url": base}


def measure(env: Mapping[str, str] | None = None, rounds: int = 4, http: bool = True) -> dict:
    """Both measurements; `env` defaults to os.environ (e.g. pass `stack.env`)."""
    env = dict(os.environ if env is None else env)
    result: dict[str, Any] = {"in_process": measure_in_process(env, rounds)}
    if http:
        result["http"] = measure_http(env, rounds)
    return result


def table(result: dict[str, Any]) -> str:
    rows = [("phone webhook (in process)", result["in_process"]["webhook_ms"]),
            ("  Rasa call inside it", result["in_process"]["rasa_ms"]),
            ("  overhead (webhook - Rasa)", result["in_process"]["overhead_ms"])]
    if "http" in result:
        rows.append(("phone webhook (HTTP, gunicorn)", result["http"]["webhook_ms"]))
    lines = [f"{'':34}{'p50 ms':>10}{'p95 ms':>10}{'n':>6}"]
    for name, p in rows:
        lines.append(f"{name:34}{p['p50'] if p['p50'] is not None else '-':>10}"
                     f"{p['p95'] if p['p95'] is not None else '-':>10}{p['n']:>6}")
    return "\n".join(lines)


if __name__ == "__main__":
    outcome = measure()
    print(table(outcome), file=sys.stderr)
    print(json.dumps(outcome, indent=2))
