"""The worker as a real process (`python -m delivery`), configured by environment variables
alone, killed with SIGKILL while a back-office post and then a Notify send are in flight: after
restarts, every report and every notification has arrived exactly once, and a status change in
the back office is read back and reaches the resident."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

from services import outbox
from services.cases import find_case
from tests.delivery.conftest import CODES, OPTOUT_KEY, delivery_settings, reports_by_email
from tests.delivery.servers import NotifyServer, Open311Server
from tests.stack import ROOT

REPORTS = 6


def worker_env(database_url: str, tmp_path, open311: Open311Server,
               notify: NotifyServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPEN311_", "NOTIFY_", "OUTBOX_", "SMS_UPDATES"))}
    env.update(
        PYTHONPATH=str(ROOT), DATABASE_URL=database_url, VAR_DIR=str(tmp_path),
        OPTOUT_HMAC_KEY=OPTOUT_KEY, OPEN311_BASE_URL=open311.url,
        OPEN311_API_KEY=Open311Server.API_KEY,
        OPEN311_SERVICE_CODES=",".join(f"{k}={v}" for k, v in CODES.items()),
        OPEN311_TIMEOUT="30", OPEN311_POLL_SECONDS="1",
        NOTIFY_API_KEY=NotifyServer.API_KEY, NOTIFY_BASE_URL=notify.url,
        NOTIFY_EMAIL_TEMPLATE_ID=NotifyServer.EMAIL_TEMPLATE,
        OUTBOX_LEASE_SECONDS="2", OUTBOX_BACKOFF_SECONDS="0", WORKER_IDLE_SECONDS="0.1",
    )
    return env


def start_worker(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "delivery"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def all_final(db) -> bool:
    return all(m.state in outbox.DONE_STATES for m in outbox.messages(db))


def test_a_worker_killed_mid_send_loses_nothing_and_sends_nothing_twice(
        db, database_url, tmp_path, open311_server, notify_server):
    settings = delivery_settings(open311_server, notify_server)
    references = reports_by_email(db, settings, REPORTS, kind="pothole",
                                  location="{n} Aylestone Hill, Hereford", details="Deep pothole")
    env = worker_env(database_url, tmp_path, open311_server, notify_server)

    # 1. Killed while the back office holds a post it has already saved.
    open311_server.hang_seconds = 60
    open311_server.act_then_hang = 1
    first = start_worker(env)
    wait_for(lambda: len(open311_server.posts) == 1)
    first.send_signal(signal.SIGKILL)
    first.wait(10)

    # 2. Killed while Notify holds a message it has already accepted.
    notify_server.hang_seconds = 60
    notify_server.act_then_hang = 1
    second = start_worker(env)
    wait_for(lambda: len(notify_server.sent) >= 1)
    second.send_signal(signal.SIGKILL)
    second.wait(10)

    # 3. A fresh worker finishes the job once the dead workers' leases run out.
    third = start_worker(env)
    try:
        wait_for(lambda: all_final(db) and len(outbox.messages(db)) == 2 * REPORTS, 60)
        # 4. Status read back from the back office reaches "check my case" and the resident.
        request_id = next(r for r, row in open311_server.requests.items()
                          if references[0] in row["description"])
        open311_server.set_status(request_id, "fixed", "Filled in on Tuesday.")
        wait_for(lambda: find_case(db, references[0]).status == "Fixed", 30)
        wait_for(lambda: len(notify_server.sent) == REPORTS + 1, 30)
    finally:
        third.send_signal(signal.SIGTERM)
        assert third.wait(20) == 0  # a clean stop on SIGTERM

    posted = Counter(ref for post in open311_server.posts for ref in references
                     if ref in post["description"])
    assert posted == dict.fromkeys(references, 1)
    received = [n for n in notify_server.sent if "We have your report" in
                n["personalisation"]["message"]]
    emailed = Counter(n["email_address"] for n in received)
    assert emailed == {f"resident{n}@example.org": 1 for n in range(REPORTS)}
    [fixed] = [n for n in notify_server.sent if n not in received]
    assert fixed["email_address"] == "resident0@example.org"
    assert "It is fixed" in fixed["personalisation"]["message"]
    assert find_case(db, references[0]).status_note == "Filled in on Tuesday."
    assert {m.state for m in outbox.messages(db)} == {"sent"}
    assert len(outbox.messages(db)) == 2 * REPORTS + 1
