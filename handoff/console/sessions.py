"""Advisor sessions: an absolute limit, an idle limit that background polling cannot extend,
and server-side revocation.

The session cookie carries the advisor's `session_version`; signing out, a password reset or a
2FA reset bumps the stored version, so any copy of an older cookie is refused. The cookie also
carries when the advisor signed in (absolute limit, ADVISOR_SESSION_HOURS, default 8) and when
they last did something other than console.js's one-second polling (idle limit, the same
SESSION_MINUTES as the cookie's lifetime).
"""

from __future__ import annotations

import time
from typing import Any

from flask import current_app, request, session
from sqlalchemy.orm import Session

from storage.models import Advisor

VERSION, SIGNED_IN_AT, ACTIVE_AT = "advisor_sv", "advisor_since", "advisor_active"
ENDED_MESSAGE = "For your security, you were signed out. Sign in again."


def _now() -> float:
    return time.time()


def _limits() -> tuple[float, float]:
    config = current_app.config
    absolute = float(config.get("ADVISOR_SESSION_HOURS") or 8) * 3600
    lifetime: Any = config.get("PERMANENT_SESSION_LIFETIME") or 1800
    idle = lifetime.total_seconds() if hasattr(lifetime, "total_seconds") else float(lifetime)
    return absolute, idle


def stamp(store: Any, version: int) -> None:
    """Write the version and the times into a session (or a test's session_transaction)."""
    now = _now()
    store[VERSION] = version
    store[SIGNED_IN_AT] = now
    store[ACTIVE_AT] = now


def start(advisor: Advisor) -> None:
    """Call right after login_user: stamps the session with the version and the times."""
    stamp(session, advisor.session_version or 1)
    session.permanent = True


def is_background_poll() -> bool:
    return request.method == "GET" and request.path.startswith("/advisor/api/")


def still_valid(advisor: Advisor) -> bool:
    """False when the cookie is from before a revocation, or past either time limit."""
    if session.get(VERSION) != (advisor.session_version or 1):
        return False
    absolute, idle = _limits()
    now = _now()
    since, active = session.get(SIGNED_IN_AT), session.get(ACTIVE_AT)
    if not isinstance(since, int | float) or not isinstance(active, int | float):
        return False
    if now - since > absolute or now - active > idle:
        return False
    if not is_background_poll():
        session[ACTIVE_AT] = now
    return True


def revoke(s: Session, advisor_id: int) -> None:
    """Every existing session of this advisor stops working at its next request."""
    advisor = s.get(Advisor, advisor_id)
    if advisor is not None:
        advisor.session_version = (advisor.session_version or 1) + 1
