"""Latency and throughput of the whole stack, measured against the real processes.

For 1, 10 and 50 concurrent conversations, in the same run:
- direct: POST Rasa /webhooks/webchat/webhook with the bearer token (the assistant alone);
- web:    POST /api/chat through gunicorn, the router and the database;
- voice:  POST /voice/respond, signed with Twilio's RequestValidator.
Each gives p50/p95/p99 (ms), messages/s and errors (non-200s, and assistant-failure hand-overs).
The channel overhead is web p95 / direct p95. Also: start-up time of the whole stack
(Stack.wait_healthy with a trained model) and resident memory of each process (Stack.rss_mb).

    python -m bench.latency        # standalone: starts its own stack, prints the table
    BENCH_SECONDS=10 BENCH_TARGET_SECONDS=30 BENCH_LEVELS=1,10 python -m bench.latency
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "bench"

# Everyday conversations the assistant answers itself (no hand-over), as residents type them.
SCRIPTS = [
    ["hello", "when is my bin day", "HR1 2AB", "thank you"],
    ["what time does the library open", "Hereford library", "thanks"],
    ["how do i pay my council tax", "thank you"],
    ["when is my recycling collected", "HR4 9AB", "thanks"],
]
FAILURE_TEXT = "not working right now"

# Seconds a resident takes to read an answer and type the next message (conservative: most
# take longer). Targets are for conversations, so the measured conversations pause this long.
THINK_S = 2.0

# Targets on a 2-core machine (issue #8).
TARGETS = {
    "web_p95_ms_at_10": 150.0,
    "web_over_direct_p95_at_10": 1.3,
    "voice_p95_ms_at_10": 250.0,
    "errors": 0,
    "startup_s": 45.0,
}


def percentiles(seconds: list[float]) -> dict[str, float | None]:
    if not seconds:
        return {"p50": None, "p95": None, "p99": None}
    ms = sorted(s * 1000 for s in seconds)

    def pick(q: float) -> float:
        return round(ms[min(len(ms) - 1, int(round(q * (len(ms) - 1))))], 1)

    return {"p50": round(statistics.median(ms), 1), "p95": pick(0.95), "p99": pick(0.99)}


class Target:
    """One way of sending a resident's message. `conversation()` gives a function that sends
    one message and returns an error string (non-200, or what `problem` sees) or None."""

    name = ""

    def __init__(self, stack: Any) -> None:
        self.stack = stack

    def conversation(self) -> Callable[[str], str | None]:
        post = self.start(requests.Session())

        def send(text: str) -> str | None:
            r = post(text)
            return f"HTTP {r.status_code}" if r.status_code != 200 else self.problem(r)

        return send

    def start(self, http: requests.Session) -> Callable[[str], requests.Response]:
        """A new conversation: a function that posts one message of it."""
        raise NotImplementedError

    def problem(self, r: requests.Response) -> str | None:
        """What is wrong with a 200 answer, if anything."""
        return None


class Direct(Target):
    name = "direct"

    def start(self, http):
        sender = f"bench-{uuid.uuid4().hex}"
        url = f"{self.stack.rasa_url}/webhooks/webchat/webhook"
        headers = {"Authorization": f"Bearer {self.stack.env['RASA_TOKEN']}"}
        return lambda text: http.post(url, json={"sender": sender, "message": text,
                                                 "metadata": {"channel": "web"}},
                                      headers=headers, timeout=30)

    def problem(self, r):
        return None if r.json().get("messages") else "no messages"


class Web(Target):
    name = "web"

    def start(self, http):
        url = f"{self.stack.base_url}/api/chat"
        return lambda text: http.post(url, json={"text": text}, timeout=30)

    def problem(self, r):
        said = " ".join(x.get("text", "") for x in r.json().get("replies", [])).lower()
        return "assistant failure hand-over" if FAILURE_TEXT in said else None


class Voice(Target):
    name = "voice"

    def __init__(self, stack: Any) -> None:
        super().__init__(stack)
        self.validator = RequestValidator(stack.env["TWILIO_AUTH_TOKEN"])
        self.public = stack.env["PUBLIC_BASE_URL"]

    def post(self, http: requests.Session, path: str, params: dict[str, str]):
        signature = self.validator.compute_signature(self.public + path, params)
        return http.post(f"{self.stack.base_url}{path}", data=params,
                         headers={"X-Twilio-Signature": signature}, timeout=30)

    def start(self, http):
        sid = "CA" + uuid.uuid4().hex
        base = {"CallSid": sid, "AccountSid": "AC" + "0" * 32, "From": "+447700900" + sid[-3:],
                "To": "+441432000000", "CallStatus": "in-progress"}
        started = False

        def post(text: str) -> requests.Response:
            nonlocal started
            if not started:  # the greeting is not part of the measured turn
                self.post(http, "/voice/incoming", base)
                started = True
            return self.post(http, "/voice/respond", {**base, "SpeechResult": text,
                                                      "Confidence": "0.92"})

        return post

    def problem(self, r):
        return "put through to a person" if "<Enqueue" in r.text or "<Dial" in r.text else None


def run_level(target: Target, concurrency: int, seconds: float,
              think: float = 0.0) -> dict[str, Any]:
    """`concurrency` conversations, each sending its script turn by turn (a new conversation
    after each script), for `seconds`, pausing `think` seconds after each answer as a resident
    reads and types (0 = back to back, which measures saturation, not conversations). With a
    think time, conversations also start at random moments within the first pause: started
    in the same millisecond, ten first messages queue behind each other, which residents
    arriving at a council website never do.
    Returns latency percentiles, throughput and errors."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker(i: int) -> None:
        n = i
        if think:  # residents arrive at random times, not all in the same millisecond
            time.sleep(random.uniform(0, think * 1.5))  # noqa: S311 - jitter only
        while time.monotonic() < deadline:
            send = target.conversation()
            for text in SCRIPTS[n % len(SCRIPTS)]:
                if time.monotonic() >= deadline:
                    return
                start = time.monotonic()
                try:
                    error = send(text)
                except requests.RequestException as exc:
                    error = type(exc).__name__
                took = time.monotonic() - start
                with lock:
                    latencies.append(took)
                    if error:
                        errors[error] = errors.get(error, 0) + 1
                if error:
                    break  # a failed conversation starts afresh
                if think:
                    time.sleep(think * (0.5 + random.random()))  # noqa: S311 - jitter only
            n += concurrency

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
    elapsed = time.monotonic() - started
    return {"target": target.name, "concurrency": concurrency, "think_s": think,
            "messages": len(latencies),
            "messages_per_s": round(len(latencies) / elapsed, 1), **percentiles(latencies),
            "errors": sum(errors.values()), "error_kinds": errors}


def warm_up(stack: Any) -> None:
    """One pass of every script through every target: first-call costs are not measured."""
    for cls in (Direct, Web, Voice):
        target = cls(stack)
        for script in SCRIPTS:
            send = target.conversation()
            for text in script:
                send(text)


def start_stack(**kwargs: Any):
    """Prepare and start a stack; returns it with `startup_s` (start to healthy)."""
    sys.path.insert(0, str(ROOT))
    from tests.stack import Stack

    stack = Stack(**kwargs)
    stack.prepare()
    stack.start()
    stack.startup_s = round(stack.wait_healthy(), 1)
    return stack


def measure(stack: Any, levels: list[int] | None = None, seconds: float | None = None) -> dict:
    levels = levels or [int(x) for x in os.environ.get("BENCH_LEVELS", "1,10,50").split(",")]
    seconds = seconds or float(os.environ.get("BENCH_SECONDS", "20"))
    think = float(os.environ.get("BENCH_THINK_S", str(THINK_S)))
    # The targets are judged at 10 conversations: run that level longer, so its p95 rests on
    # ~280 messages, not ~95 (at 20 s, run-to-run p95 varied by +-40 ms here).
    target_seconds = float(os.environ.get("BENCH_TARGET_SECONDS", str(max(seconds, 60))))
    warm_up(stack)
    rows = []
    for level in levels:
        for cls in (Direct, Web, Voice):
            rows.append(run_level(cls(stack), level, target_seconds if level == 10 else seconds,
                                  think))
    # Back to back, no resident pauses: the most one machine can take (capacity, not a target).
    for cls in (Direct, Web):
        rows.append(run_level(cls(stack), 10, seconds, 0.0))
    result = {"cpus": os.cpu_count(), "seconds_per_level": seconds,
              "seconds_at_10": target_seconds, "rows": rows,
              "startup_s": getattr(stack, "startup_s", None), "rss_mb": stack.rss_mb(),
              "web_workers": stack.web_workers}
    result["checks"] = checks(result)
    return result


def _row(result: dict, target: str, level: int, saturated: bool = False) -> dict | None:
    return next((r for r in result["rows"]
                 if r["target"] == target and r["concurrency"] == level
                 and (r.get("think_s", 0) == 0) == saturated), None)


def checks(result: dict) -> list[dict[str, Any]]:
    out = []
    web, direct, voice = (_row(result, t, 10) for t in ("web", "direct", "voice"))
    if web:
        out.append({"check": "web p95 at 10 conversations (ms)", "value": web["p95"],
                    "target": f"< {TARGETS['web_p95_ms_at_10']:.0f}",
                    "ok": web["p95"] is not None and web["p95"] < TARGETS["web_p95_ms_at_10"]})
    if web and direct and direct["p95"]:
        ratio = round(web["p95"] / direct["p95"], 2)
        out.append({"check": "web p95 / direct Rasa p95 at 10", "value": ratio,
                    "target": f"< {TARGETS['web_over_direct_p95_at_10']}",
                    "ok": ratio < TARGETS["web_over_direct_p95_at_10"]})
    if voice:
        out.append({"check": "voice webhook p95 at 10 (ms)", "value": voice["p95"],
                    "target": f"< {TARGETS['voice_p95_ms_at_10']:.0f}",
                    "ok": voice["p95"] is not None
                    and voice["p95"] < TARGETS["voice_p95_ms_at_10"]})
    errors = sum(r["errors"] for r in result["rows"] if r["concurrency"] <= 10)
    out.append({"check": "errors at 1 and 10 conversations", "value": errors, "target": "0",
                "ok": errors == 0})
    if result.get("startup_s") is not None:
        out.append({"check": "stack healthy after (s)", "value": result["startup_s"],
                    "target": f"< {TARGETS['startup_s']:.0f}",
                    "ok": result["startup_s"] < TARGETS["startup_s"]})
    return out


def table(result: dict) -> str:
    lines = [f"Latency and throughput ({result['cpus']} CPUs, {result['seconds_per_level']:.0f} s "
             f"per level, {result.get('seconds_at_10', 0):.0f} s at 10 conversations, "
             f"gunicorn workers: {result['web_workers']})",
             f"Conversations pause {THINK_S:.0f} s (0.5-1.5x) between messages, as residents read "
             "and type; rows with think 0 s send back to back (capacity).",
             f"{'target':<8}{'conv':>5}{'think s':>8}{'msgs':>7}{'msg/s':>8}{'p50 ms':>9}"
             f"{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}  overhead p95"]
    for r in result["rows"]:
        direct = _row(result, "direct", r["concurrency"], r.get("think_s", 0) == 0)
        ratio = ""
        if r["target"] != "direct" and direct and direct["p95"] and r["p95"]:
            ratio = f"{r['p95'] / direct['p95']:.2f}x direct"
        lines.append(f"{r['target']:<8}{r['concurrency']:>5}{r.get('think_s', 0):>8}"
                     f"{r['messages']:>7}"
                     f"{r['messages_per_s']:>8}{_f(r['p50']):>9}{_f(r['p95']):>9}"
                     f"{_f(r['p99']):>9}{r['errors']:>8}  {ratio}")
        if r["error_kinds"]:
            lines.append(f"{'':13}errors: {r['error_kinds']}")
    lines.append("")
    lines.append("Resident memory (MB): " + ", ".join(f"{k} {v}" for k, v in
                                                     result["rss_mb"].items()))
    lines.append("")
    lines.append(f"{'check':<40}{'value':>10}  {'target':<8} result")
    for c in result["checks"]:
        lines.append(f"{c['check']:<40}{c['value']!s:>10}  {c['target']:<8} "
                     f"{'PASS' if c['ok'] else 'FAIL'}")
    return "\n".join(lines)


def _f(v: float | None) -> str:
    return "-" if v is None else f"{v:.0f}"


def save(result: dict, name: str = "latency") -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(json.dumps(result, indent=2))
    return path


def main() -> int:
    stack = start_stack()
    try:
        result = measure(stack)
    finally:
        stack.stop()
    print(table(result))
    print(f"\nwritten {save(result)}")
    return 0 if all(c["ok"] for c in result["checks"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
