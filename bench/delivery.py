"""Delivery: the time from a status change to the resident's notification leaving, and the
outbox worker's throughput, against local Open311 and Notify stand-ins over real HTTP
(tests/delivery/servers.py) on the embedded default (SQLite) and, when PostgreSQL is
installed, on PostgreSQL with one and two workers.

    python -m bench.delivery             # prints the table, writes var/bench/delivery.json
    BENCH_DELIVERY_CASES=200 BENCH_DELIVERY_PG=0 python -m bench.delivery

Needs no Rasa: `make bench` runs it before starting the stack.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.latency import save
from core.delivery_settings import DeliverySettings
from delivery.notify import NotifyClient
from delivery.open311 import Open311Client
from delivery.worker import Worker
from services import outbox
from services.cases import create_case, set_status
from storage.db import Database
from storage.migrate import upgrade
from tests.delivery.servers import NotifyServer, Open311Server

CASES = int(os.environ.get("BENCH_DELIVERY_CASES", "300"))
CHANGES = int(os.environ.get("BENCH_DELIVERY_CHANGES", "20"))
CODES = {"pothole": "POT", "fly_tipping": "FLY", "streetlight": "SL", "missed_bin": "BIN"}
OPTOUT_KEY = "bench-optout-key"


def _settings(open311: Open311Server, notify: NotifyServer, idle: float) -> DeliverySettings:
    return DeliverySettings(
        open311_base_url=open311.url, open311_api_key=Open311Server.API_KEY,
        open311_service_codes=CODES, notify_api_key=NotifyServer.API_KEY,
        notify_base_url=notify.url, notify_email_template_id=NotifyServer.EMAIL_TEMPLATE,
        notify_sms_template_id=NotifyServer.SMS_TEMPLATE, sms_updates_via="notify",
        worker_idle_seconds=idle, open311_poll_seconds=3600,
    )


def _worker(db: Database, settings: DeliverySettings) -> Worker:
    return Worker(db, settings, optout_key=OPTOUT_KEY,
                  open311=Open311Client(settings.open311_base_url, settings.open311_api_key),
                  notify=NotifyClient(settings.notify_api_key, settings.notify_base_url))


def _cases(db: Database, settings: DeliverySettings, n: int) -> list[str]:
    return [create_case(db, kind="pothole", location=f"{i} Aylestone Hill, Hereford",
                        details="Deep pothole", contact_preference="email",
                        contact_email=f"resident{i}@example.org", delivery=settings).reference
            for i in range(n)]


def throughput(db: Database, settings: DeliverySettings, workers: int) -> dict[str, Any]:
    """Messages per second to drain CASES reports (a post and an email each)."""
    _cases(db, settings, CASES)
    total = len([m for m in outbox.messages(db, limit=10 * CASES) if m.state == "pending"])
    start = time.perf_counter()
    threads = [threading.Thread(target=_worker(db, settings).run,
                                args=(threading.Event(),), kwargs={"burst": True})
               for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    states = outbox.counts(db)
    return {"workers": workers, "messages": total, "seconds": round(seconds, 2),
            "per_second": round(total / seconds, 1), "states": states}


def change_to_notification(db: Database, settings: DeliverySettings,
                           notify: NotifyServer) -> dict[str, Any]:
    """A worker runs as in production (idle wait between empty polls); a supervisor changes a
    status; we time the commit to Notify receiving the message."""
    references = _cases(db, settings, CHANGES)
    stop = threading.Event()
    worker = _worker(db, settings)
    runner = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    runner.start()
    while any(m.state not in outbox.DONE_STATES for m in outbox.messages(db)):
        time.sleep(0.05)

    def fixed_sent(reference: str) -> bool:
        return any(n["personalisation"].get("reference") == reference
                   and "fixed" in n["personalisation"].get("message", "") for n in notify.sent)

    delays = []
    offsets = random.Random(7)
    for reference in references:
        # Changes arrive at arbitrary points of the worker's idle wait.
        time.sleep(offsets.uniform(0.05, settings.worker_idle_seconds + 0.05))
        start = time.perf_counter()
        set_status(db, reference, "Fixed", "Filled in.", source="console")
        while not fixed_sent(reference):
            time.sleep(0.002)
        delays.append(time.perf_counter() - start)
    stop.set()
    runner.join(10)
    ms = sorted(d * 1000 for d in delays)
    return {"idle_seconds": settings.worker_idle_seconds, "changes": len(ms),
            "p50_ms": round(statistics.median(ms), 1),
            "p95_ms": round(ms[max(0, int(len(ms) * 0.95) - 1)], 1), "max_ms": round(ms[-1], 1)}


def _sqlite() -> Database:
    path = Path(tempfile.mkdtemp(prefix="cca-bench-delivery-")) / "bench.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    return Database(url)


def _postgres():
    from tests.topology.harness import DataServices

    services = DataServices()
    services.start()
    url = services.env["DATABASE_URL"]
    upgrade(url)
    return services, url


def _reset(db: Database) -> None:
    from sqlalchemy import delete

    from storage.models import Case, OutboxMessage

    with db.session() as s:
        s.execute(delete(OutboxMessage))
        s.execute(delete(Case))


def measure_all() -> dict[str, Any]:
    open311, notify = Open311Server().start(), NotifyServer().start()
    result: dict[str, Any] = {"cases": CASES}
    try:
        db = _sqlite()
        for idle in (1.0, 0.2):
            result[f"sqlite_latency_idle_{idle}"] = change_to_notification(
                db, _settings(open311, notify, idle), notify)
        _reset(db)
        result["sqlite_1_worker"] = throughput(db, _settings(open311, notify, 0.05), 1)
        if os.environ.get("BENCH_DELIVERY_PG", "1") != "0":
            try:
                services, url = _postgres()
            except Exception as exc:  # noqa: BLE001 - no PostgreSQL here: say so, carry on
                result["postgres"] = f"skipped: {exc}"
            else:
                try:
                    pg = Database(url)
                    result["postgres_latency_idle_1.0"] = change_to_notification(
                        pg, _settings(open311, notify, 1.0), notify)
                    for workers in (1, 2):
                        _reset(pg)
                        result[f"postgres_{workers}_workers"] = throughput(
                            pg, _settings(open311, notify, 0.05), workers)
                    pg.engine.dispose()
                finally:
                    services.stop()
    finally:
        open311.stop()
        notify.stop()
    return result


def table(result: dict[str, Any]) -> str:
    lines = [f"{'measure':44} {'value':>30}"]
    for key, value in result.items():
        if isinstance(value, dict) and "p50_ms" in value:
            text = f"p50 {value['p50_ms']} ms, p95 {value['p95_ms']} ms"
        elif isinstance(value, dict) and "per_second" in value:
            text = f"{value['per_second']} msg/s ({value['messages']} in {value['seconds']} s)"
        else:
            text = str(value)
        lines.append(f"{key:44} {text:>30}")
    return "\n".join(lines)


def main() -> int:
    result = measure_all()
    print(table(result))
    print(f"(written {save(result, 'delivery')})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
