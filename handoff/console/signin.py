"""Signing in to the console (password, then a two-factor code) and signing out.

1. /advisor/login: email and password. A right password does not sign the advisor in yet: it
   starts a short "pending" step in the session (five minutes).
2. /advisor/login/code: the 6-digit code from their authenticator app, or a recovery code.
   An advisor without two-factor sign-in goes to /advisor/login/enrol instead: a QR code and the
   secret as text, confirmed with a first code, then ten recovery codes shown once.

Wrong passwords and wrong codes both count towards the per-account back-off (throttle.py); the
per-IP limit is flask-limiter's. Every outcome is in the audit log.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

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
from handoff.console import sessions, throttle, twofactor
from handoff.console.auth import LOGIN_FAILED, authenticate, find_by_email, safe_next
from handoff.console.common import db, form_errors, see_other
from handoff.console.forms import CodeForm, SignInForm
from storage.models import Advisor

bp = Blueprint("signin", __name__)

PUBLIC_ENDPOINTS = {"console.signin.login", "console.signin.code", "console.signin.enrol"}
PENDING = "advisor_pending"
PENDING_SECONDS = 300
CODE_WRONG = "The code is wrong or has already been used. Enter the newest code from your app"
CODE_EXPIRED = "Your sign-in took too long. Enter your email address and password again."


def _login_limit() -> str:
    return current_app.config.get("RATELIMIT_LOGIN") or "5 per minute"


def _limited(view: Any) -> Any:
    """The per-IP limit. Only attempts that fail count (a success redirects with 303)."""
    return limiter.limit(_login_limit, methods=["POST"],
                         deduct_when=lambda response: response.status_code != 303)(view)


def _locked_message(seconds: int) -> str:
    return (f"There have been too many wrong attempts to sign in to this account. "
            f"Wait {throttle.wait_text(seconds)}, then try again.")


def _secret_key() -> str:
    return current_app.config["SECRET_KEY"]


def _audit_target(advisor_id: int | None) -> str | None:
    return f"advisor:{advisor_id}" if advisor_id else None


def _failure(s, email: str, advisor_id: int | None, step: str) -> int:
    """Audit a failed attempt and count it; returns the lock (seconds) it started, if any."""
    ops.audit(s, advisor_id, "login_failed", _audit_target(advisor_id), step=step)
    seconds = throttle.record_failure(s, email)
    if seconds:
        ops.audit(s, advisor_id, "login_locked", _audit_target(advisor_id), seconds=seconds)
    return seconds


# --- the pending step between password and code ------------------------------------------------


def _start_pending(advisor: Advisor, next_url: str | None) -> None:
    session.clear()  # a fresh session on sign-in (no fixation)
    session[PENDING] = {"id": advisor.id, "at": time.time(), "next": next_url or "",
                        "sv": advisor.session_version or 1}


def _pending() -> dict[str, Any] | None:
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        return None
    return pending


def _pending_advisor(s) -> Advisor | None:
    pending = _pending()
    if pending is None:
        return None
    advisor = s.get(Advisor, pending["id"])
    if advisor is None or not advisor.active:
        return None
    # A password or 2FA reset since the password step ends this half-finished sign-in too.
    return advisor if pending.get("sv") == (advisor.session_version or 1) else None


def _pending_step(s, enrolled: bool) -> tuple[Advisor, Any]:
    """(the advisor part-way through signing in, None), or (None, a redirect) when there is no
    such advisor or they belong on the other step (code when enrolled, enrolment when not)."""
    advisor = _pending_advisor(s)
    if advisor is None:
        return None, _back_to_password()
    if bool(advisor.totp_secret) != enrolled:
        return None, see_other("console.signin.code" if advisor.totp_secret
                               else "console.signin.enrol")
    return advisor, None


def _second_step(enrolled: bool) -> Callable[[Callable[..., Any]], Callable[[], Any]]:
    """A sign-in step after the password: the view gets the database session, the advisor
    part-way through signing in and the code form; anyone else is sent where they belong."""

    def decorate(view: Callable[..., Any]) -> Callable[[], Any]:
        @wraps(view)
        def wrapper() -> Any:
            with db().session() as s:
                advisor, elsewhere = _pending_step(s, enrolled=enrolled)
                if elsewhere is not None:
                    return elsewhere
                return view(s, advisor, CodeForm())

        return wrapper

    return decorate


def _back_to_password() -> Any:
    if current_user.is_authenticated:  # e.g. the browser's back button after signing in
        return see_other("console.queue.index")
    if session.pop(PENDING, None) is not None:
        flash(CODE_EXPIRED, "error")
    return see_other("console.signin.login")


def _finish(advisor: Advisor) -> None:
    """The second factor is good: the advisor is signed in."""
    session.clear()
    login_user(advisor)
    sessions.start(advisor)


# --- step 1: email and password ----------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@_limited
def login():
    next_url = safe_next(request.values.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url or url_for("console.queue.index"))
    form = SignInForm()
    errors: dict[str, str] = {}
    status = 200
    if form.is_submitted():
        if not form.validate():
            errors = form_errors(form)
        else:
            email = form.email.data
            with db().session() as s:
                locked = throttle.locked_for(s, email)
                # The password is checked even when locked, so timing says nothing either way.
                advisor = authenticate(s, email, form.password.data)
                if locked:
                    known = find_by_email(s, email)
                    ops.audit(s, known.id if known else None, "login_refused_locked",
                              _audit_target(known.id if known else None))
                    errors["email"], status, advisor = _locked_message(locked), 429, None
                elif advisor is None:
                    known = find_by_email(s, email)
                    seconds = _failure(s, email, known.id if known else None, "password")
                    errors["email"] = _locked_message(seconds) if seconds else LOGIN_FAILED
                else:
                    _start_pending(advisor, next_url)
                    enrolled = bool(advisor.totp_secret)
                    return see_other("console.signin.code" if enrolled
                                     else "console.signin.enrol")
    return render_template("console/login.html", errors=errors, email=form.email.data or "",
                           next_url=next_url), status


# --- step 2: the code ----------------------------------------------------------------------------


def _try_code(s, advisor: Advisor, form: CodeForm, step: str,
              accept: Callable[[str], str | None]) -> tuple[str | None, dict[str, str], int]:
    """One attempt at a code: (what matched or None, errors to show, status). Shared by the code
    step and enrolment, so both are locked, validated and counted the same way."""
    locked = throttle.locked_for(s, advisor.email)
    if locked:
        return None, {"code": _locked_message(locked)}, 429
    if not form.validate():
        return None, form_errors(form), 200
    matched = accept(form.code.data)
    if matched:
        return matched, {}, 200
    seconds = _failure(s, advisor.email, advisor.id, step)
    return None, {"code": _locked_message(seconds) if seconds else CODE_WRONG}, 200


def _signed_in(s, advisor: Advisor, method: str) -> str:
    """Clear the back-off, audit, and sign in; returns where to go next."""
    next_url = safe_next((_pending() or {}).get("next"))
    throttle.clear(s, advisor.email)
    ops.audit(s, advisor.id, "login", _audit_target(advisor.id), second_factor=method)
    s.flush()
    _finish(advisor)
    return next_url or url_for("console.queue.index")


@bp.route("/login/code", methods=["GET", "POST"])
@_limited
@_second_step(enrolled=True)
def code(s, advisor: Advisor, form: CodeForm):
    errors, status = {}, 200
    if form.is_submitted():
        def accept(code: str) -> str | None:
            if twofactor.verify_totp(advisor, code, _secret_key()):
                return "totp"
            return "recovery_code" if twofactor.use_recovery_code(s, advisor.id, code) else None

        matched, errors, status = _try_code(s, advisor, form, "code", accept)
        if matched:
            left = twofactor.recovery_codes_left(s, advisor.id)
            target = _signed_in(s, advisor, matched)
            if matched == "recovery_code":
                flash(f"You used a recovery code. You have {left} left. If you have lost "
                      "your phone, ask an administrator to reset your two-factor sign-in.",
                      "success")
            return redirect(target, code=303)
    return render_template("console/login_code.html", errors=errors), status


# --- first sign-in: set up the authenticator app ---------------------------------------------


@bp.route("/login/enrol", methods=["GET", "POST"])
@_limited
@_second_step(enrolled=False)
def enrol(s, advisor: Advisor, form: CodeForm):
    errors, status = {}, 200
    secret = twofactor.decrypt_secret(advisor.totp_pending, _secret_key())
    if secret is None:
        secret = twofactor.new_secret()
        advisor.totp_pending = twofactor.encrypt_secret(secret, _secret_key())
    if form.is_submitted():
        matched, errors, status = _try_code(
            s, advisor, form, "enrolment",
            lambda code: "enrolment" if twofactor.confirm_enrolment(
                advisor, code, _secret_key()) else None)
        if matched:
            codes = twofactor.new_recovery_codes(s, advisor.id)
            ops.audit(s, advisor.id, "2fa_enrolled", _audit_target(advisor.id))
            target = _signed_in(s, advisor, matched)
            # Shown once, on this response only: never stored in plain text anywhere.
            return render_template("console/recovery_codes.html", codes=codes,
                                   next_url=target)
    issuer = f"{current_app.config.get('COUNCIL_NAME') or 'Council'} advisor console"
    uri = twofactor.provisioning_uri(secret, advisor.email, issuer)
    return render_template(
        "console/login_enrol.html", errors=errors,
        qr_svg=twofactor.qr_svg(uri, "QR code for your authenticator app"),
        secret=twofactor.spaced(secret), email=advisor.email, issuer=issuer,
    ), status


# --- sign out ----------------------------------------------------------------------------------


@bp.post("/logout")
def logout():
    with db().session() as s:
        ops.audit(s, current_user.id, "logout", _audit_target(current_user.id))
        sessions.revoke(s, current_user.id)  # copies of this cookie stop working too
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return see_other("console.signin.login")
