"""GET /healthz: each component's state; 503 when any is down."""

from __future__ import annotations

import requests
from flask import Blueprint, current_app, jsonify

bp = Blueprint("health", __name__)


def action_server_ok(url: str | None) -> bool:
    if not url:
        return False
    try:
        return requests.get(f"{url.rstrip('/')}/health", timeout=2).status_code == 200
    except requests.RequestException:
        return False


@bp.get("/healthz")
def healthz():
    ext = current_app.extensions
    settings = ext["settings"]
    components = {
        "database": "ok" if ext["db"].ping() else "down",
        "rasa": "ok" if settings.rasa_url and ext["router"].rasa.status() else "down",
        "action_server": "ok" if action_server_ok(settings.action_server_url) else "down",
    }
    healthy = all(v == "ok" for v in components.values())
    body = {"status": "ok" if healthy else "degraded", "components": components}
    return jsonify(body), 200 if healthy else 503
