"""GET /healthz: each component's state; 503 when any is down.

The delivery worker has no port to ask, so its health is read from its work: the outbox. It is
"overdue" (503) when a message has been due for longer than HEALTH_OUTBOX_OVERDUE_SECONDS (the
worker is down or stuck); messages that failed or are being retried are reported but are not
an outage of this app (a supervisor retries them from /advisor/cases/deliveries).
"""

from __future__ import annotations

from typing import Any

import requests
from flask import Blueprint, current_app, jsonify

from services import outbox

bp = Blueprint("health", __name__)


def action_server_ok(url: str | None) -> bool:
    if not url:
        return False
    try:
        return requests.get(f"{url.rstrip('/')}/health", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def delivery_health(db: Any, overdue_after: float) -> tuple[str, dict[str, Any]]:
    """("ok" | "overdue" | "down", details) from the outbox's backlog."""
    try:
        backlog = outbox.backlog(db)
    except Exception:  # noqa: BLE001 - the database check reports the cause
        return "down", {}
    oldest = backlog.oldest_due_seconds
    details = {
        "due": backlog.due,
        "oldest_due_seconds": round(oldest, 1) if oldest is not None else None,
        "overdue_after_seconds": overdue_after,
        "retrying": backlog.retrying,
        "failed": backlog.failed,
        "failing": bool(backlog.retrying or backlog.failed),
    }
    return ("overdue" if oldest is not None and oldest > overdue_after else "ok"), details


@bp.get("/healthz")
def healthz():
    ext = current_app.extensions
    settings = ext["settings"]
    delivery, delivery_details = delivery_health(ext["db"], settings.health_outbox_overdue_seconds)
    components = {
        "database": "ok" if ext["db"].ping() else "down",
        "rasa": "ok" if settings.rasa_url and ext["router"].rasa.status() else "down",
        "action_server": "ok" if action_server_ok(settings.action_server_url) else "down",
        "delivery": delivery,
    }
    healthy = all(v == "ok" for v in components.values())
    body = {"status": "ok" if healthy else "degraded", "components": components,
            "delivery": delivery_details}
    return jsonify(body), 200 if healthy else 503
