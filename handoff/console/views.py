"""The advisor console: one parent blueprint at /advisor holding a child blueprint per screen.

- signin.py: sign in (password, then a two-factor code) and sign out;
- queue.py: the live queue and claiming a ticket;
- conversation.py: a conversation (reply, hand back, close, take a phone call);
- callbacks.py: callback requests; team.py: the team (supervisors); admin.py: advisors (admins);
- cases.py: reports' cases, their back-office delivery and updates to residents (supervisors).

Every route refuses anonymous users (a redirect to sign-in for pages, 401 JSON for
/advisor/api/*). Pages work without JavaScript; static/console.js makes the queue and the
transcript update themselves by polling the JSON endpoints every second. Shared helpers are in
common.py, the forms in forms.py.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template, request
from flask_login import current_user

from core.extensions import login_manager
from handoff import queue as ops
from handoff.console import admin, callbacks, cases, conversation, signin, team
from handoff.console import queue as queue_screen
from handoff.console.auth import has_role, wants_json
from handoff.console.common import db

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/advisor",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
for child in (signin.bp, queue_screen.bp, conversation.bp, callbacks.bp, team.bp, admin.bp,
              cases.bp):
    bp.register_blueprint(child)

PUBLIC_ENDPOINTS = signin.PUBLIC_ENDPOINTS


@bp.before_request
def _require_advisor():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    # Each page load and poll counts as "at the console", so availability is real.
    ops.touch(db(), current_user.id)
    return None


@bp.app_context_processor
def _console_context() -> dict[str, Any]:
    return {"console_has_role": lambda role: has_role(current_user, role)}


@bp.errorhandler(403)
def _forbidden(_error):
    if wants_json():
        return jsonify(error="You do not have permission to do this"), 403
    return render_template("console/forbidden.html"), 403


@bp.errorhandler(429)
def _too_many(_error):
    if wants_json():
        return jsonify(error="Too many attempts. Wait a minute, then try again."), 429
    return render_template("console/too_many.html"), 429


@bp.errorhandler(404)
def _not_found(_error):
    if wants_json():
        return jsonify(error="Not found"), 404
    return render_template("console/not_found.html"), 404
