"""Signing in to and out of the console."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from core.extensions import limiter
from handoff import queue as ops
from handoff.console.auth import LOGIN_FAILED, authenticate, find_by_email, safe_next
from handoff.console.common import db, form_errors, see_other
from handoff.console.forms import SignInForm

bp = Blueprint("signin", __name__)

PUBLIC_ENDPOINTS = {"console.signin.login"}


def _login_limit() -> str:
    return current_app.config.get("RATELIMIT_LOGIN") or "5 per minute"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"],
               deduct_when=lambda response: response.status_code != 303)
def login():
    next_url = safe_next(request.values.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url or url_for("console.queue.index"))
    form = SignInForm()
    errors: dict[str, str] = {}
    if form.is_submitted():
        advisor = None
        if not form.validate():
            errors = form_errors(form)
        else:
            with db().session() as s:
                advisor = authenticate(s, form.email.data, form.password.data)
                if advisor is None:
                    known = find_by_email(s, form.email.data)
                    ops.audit(s, known.id if known else None, "login_failed",
                              f"advisor:{known.id}" if known else None)
                    errors["email"] = LOGIN_FAILED
                else:
                    ops.audit(s, advisor.id, "login", f"advisor:{advisor.id}")
        if advisor is not None:
            session.clear()  # a fresh session on sign-in (no fixation)
            login_user(advisor)
            session.permanent = True
            return redirect(next_url or url_for("console.queue.index"), code=303)
    return render_template("console/login.html", errors=errors, email=form.email.data or "",
                           next_url=next_url)


@bp.post("/logout")
def logout():
    with db().session() as s:
        ops.audit(s, current_user.id, "logout", f"advisor:{current_user.id}")
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return see_other("console.signin.login")
