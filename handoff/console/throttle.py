"""Per-account back-off for console sign-in, kept in the database so every gunicorn worker
sees the same count (the per-IP limit is flask-limiter's, on the routes).

After FREE_FAILURES wrong passwords or codes in a row for one email address, that address is
locked for 30 s, then 60 s, 120 s ... up to an hour, doubling with each further failure. A
successful sign-in clears the count. The key is a hash of the address whether or not an advisor
has it, so a lockout does not reveal which addresses have accounts.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from core.identity import normalise_email
from storage.models import SignInThrottle, utcnow

FREE_FAILURES = 5
BASE_SECONDS = 30
MAX_SECONDS = 3600


def _key(email: str) -> str:
    return hashlib.sha256(b"sign-in:" + normalise_email(email).encode()).hexdigest()


def lock_seconds(failures: int) -> int:
    """Pure: how long an account is locked after `failures` failures in a row."""
    if failures < FREE_FAILURES:
        return 0
    return min(BASE_SECONDS * 2 ** min(failures - FREE_FAILURES, 20), MAX_SECONDS)


def locked_for(s: Session, email: str, at: datetime | None = None) -> int:
    """Seconds until the address may try again (0 when it may try now)."""
    row = s.get(SignInThrottle, _key(email))
    at = at or utcnow()
    if row is None or row.locked_until is None or row.locked_until <= at:
        return 0
    return math.ceil((row.locked_until - at).total_seconds())


def record_failure(s: Session, email: str, at: datetime | None = None) -> int:
    """Count a failure; returns the lock that starts now in seconds (0 for none)."""
    at = at or utcnow()
    row = s.get(SignInThrottle, _key(email))
    if row is None:
        row = SignInThrottle(key=_key(email), failures=0)
        s.add(row)
    row.failures = (row.failures or 0) + 1
    row.updated_at = at
    seconds = lock_seconds(row.failures)
    row.locked_until = at + timedelta(seconds=seconds) if seconds else None
    return seconds


def clear(s: Session, email: str) -> None:
    row = s.get(SignInThrottle, _key(email))
    if row is not None:
        s.delete(row)


def wait_text(seconds: int) -> str:
    """Pure: "30 seconds", "1 minute", "16 minutes"."""
    if seconds < 60:
        return f"{seconds} second" + ("" if seconds == 1 else "s")
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute" + ("" if minutes == 1 else "s")
