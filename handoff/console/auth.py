"""Advisor authentication: password hashing, the Flask-Login user loader and role checks.

Passwords are hashed with scrypt (werkzeug's default, N=2**15). Sign-in does the same
amount of work whether or not the email is known, so response times do not reveal which
advisors exist. Roles are ranked: admin > supervisor > advisor.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import abort, current_app, flash, jsonify, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from core.extensions import login_manager
from core.identity import email_problem, normalise_email
from handoff.console import sessions
from storage.models import ROLES, Advisor

HASH_METHOD = "scrypt"
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}  # advisor 0, supervisor 1, admin 2
LOGIN_FAILED = "Email or password is wrong"

F = TypeVar("F", bound=Callable[..., Any])


# --- passwords ------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=HASH_METHOD)


def check_password(password_hash: str, password: str) -> bool:
    try:
        return check_password_hash(password_hash, password)
    except (ValueError, TypeError):  # a malformed stored hash never lets anyone in
        return False


@cache
def _dummy_hash() -> str:
    """Checked against for unknown emails so they cost the same time as known ones."""
    return hash_password("not-a-real-password-just-burning-the-same-time")


def password_problem(password: str, confirm: str | None = None) -> str | None:
    """A plain-English reason the password cannot be used, or None."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return f"Password must be {MIN_PASSWORD_LENGTH} characters or more"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Password must be {MAX_PASSWORD_LENGTH} characters or fewer"
    if confirm is not None and confirm != password:
        return "Passwords do not match"
    return None


def find_by_email(s: Session, email: str) -> Advisor | None:
    return s.scalar(select(Advisor).where(func.lower(Advisor.email) == normalise_email(email)))


def authenticate(s: Session, email: str, password: str) -> Advisor | None:
    """The advisor if the email and password match an active account, else None.

    Always runs exactly one scrypt check, whatever the outcome."""
    advisor = find_by_email(s, email) if email else None
    if advisor is None:
        check_password(_dummy_hash(), password or "")
        return None
    ok = check_password(advisor.password_hash, password or "")
    return advisor if ok and advisor.active else None


def create_advisor(s: Session, *, name: str, email: str, role: str, password: str) -> Advisor:
    """Validate and add an advisor; raises ValueError with a plain-English message."""
    name, email = (name or "").strip(), normalise_email(email)
    if not name:
        raise ValueError("Enter a name")
    if len(name) > 120:
        raise ValueError("Name must be 120 characters or fewer")
    problem = email_problem(email) or password_problem(password)
    if problem:
        raise ValueError(problem)
    if role not in ROLES:
        raise ValueError(f"Role must be one of: {', '.join(ROLES)}")
    if find_by_email(s, email) is not None:
        raise ValueError("An advisor with that email address already exists")
    advisor = Advisor(name=name, email=email, role=role, active=True,
                      password_hash=hash_password(password))
    s.add(advisor)
    s.flush()
    return advisor


# --- roles ----------------------------------------------------------------------------------


def has_role(advisor: Any, role: str) -> bool:
    """True when the advisor's role ranks at least `role` (admin > supervisor > advisor)."""
    if advisor is None or not getattr(advisor, "is_authenticated", False):
        return False
    return ROLE_RANK.get(getattr(advisor, "role", None), -1) >= ROLE_RANK[role]


def role_required(role: str) -> Callable[[F], F]:
    """View decorator: anonymous users go to sign-in (401 for the JSON API), others need `role`."""
    if role not in ROLE_RANK:
        raise ValueError(f"unknown role {role!r}")

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not has_role(current_user, role):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


# --- Flask-Login wiring ---------------------------------------------------------------------


@login_manager.user_loader
def load_advisor(user_id: str) -> Advisor | None:
    try:
        advisor_id = int(user_id)
    except (TypeError, ValueError):
        return None
    with current_app.extensions["db"].session() as s:
        advisor = s.get(Advisor, advisor_id)
    # A deactivated advisor is signed out on their next request.
    if advisor is None or not advisor.active:
        return None
    # A revoked cookie (signed out, password reset) or one past its time limits is refused.
    if not sessions.still_valid(advisor):
        session.clear()
        flash(sessions.ENDED_MESSAGE, "error")
        return None
    return advisor


def wants_json() -> bool:
    return request.path.startswith("/advisor/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


@login_manager.unauthorized_handler
def unauthorized() -> Any:
    if wants_json():
        return jsonify(error="Sign in to use the advisor console",
                       login=url_for("console.signin.login")), 401
    target = request.full_path if request.method == "GET" else None
    return redirect(url_for("console.signin.login", next=safe_next(target)))


def safe_next(target: str | None) -> str | None:
    """Only same-site console paths are followed after sign-in (no open redirects)."""
    if not target:
        return None
    target = target.rstrip("?")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/advisor") or "\\" in target:
        return None
    if target.startswith(("/advisor/login", "/advisor/logout", "/advisor/static")):
        return None
    return target
