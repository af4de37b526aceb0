"""Two worker processes on one PostgreSQL outbox (SELECT ... FOR UPDATE SKIP LOCKED): they
share the work, and every report and notification is delivered exactly once.

Part of `make topology-test`: PostgreSQL on loopback through scripts/topology.sh (the shared
`services` fixture); the Open311 and Notify stand-ins are tests/delivery/servers.py."""

from __future__ import annotations

import signal
import time
from collections import Counter

from sqlalchemy import select

from services import outbox
from storage.db import Database
from storage.models import OutboxMessage
from tests.delivery.conftest import delivery_settings, reports_by_email
from tests.delivery.test_worker_killed import start_worker, wait_for, worker_env
from tests.topology.conftest import migrated

REPORTS = 40


def test_two_workers_on_postgresql_deliver_each_message_once(
        services, tmp_path, open311_server, notify_server):
    url = migrated(services)
    db = Database(url)
    settings = delivery_settings(open311_server, notify_server)
    references = reports_by_email(db, settings, REPORTS, kind="streetlight",
                                  location="Lamp {n}, Broad Street, Hereford",
                                  details="Light is out")
    open311_server.latency = notify_server.latency = 0.02  # both workers get a share
    env = worker_env(url, tmp_path, open311_server, notify_server)
    workers = [start_worker(env), start_worker(env)]
    started = time.monotonic()
    try:
        wait_for(lambda: all(m.state in outbox.DONE_STATES for m in outbox.messages(db))
                 and len(outbox.messages(db)) == 2 * REPORTS, 90)
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        codes = [w.wait(20) for w in workers]
    assert codes == [0, 0]
    elapsed = time.monotonic() - started

    posted = Counter(ref for post in open311_server.posts for ref in references
                     if ref in post["description"])
    assert posted == dict.fromkeys(references, 1)
    assert len(open311_server.posts) == REPORTS
    assert Counter(n["email_address"] for n in notify_server.sent) == {
        f"resident{n}@example.org": 1 for n in range(REPORTS)}
    with db.session() as s:
        by_worker = Counter(s.scalars(select(OutboxMessage.claimed_by)))
    assert len(by_worker) == 2, f"both workers took a share: {by_worker}"
    print(f"\n{2 * REPORTS} messages by two workers on PostgreSQL in {elapsed:.1f}s")
    db.engine.dispose()
