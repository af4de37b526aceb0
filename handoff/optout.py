"""The opt-out register: an append-only log of residents' choices, keyed by pseudonym.

Current choices are derived from the events (latest event per scope wins); nothing is
ever updated or deleted (see storage.models.OptOutEvent and its database triggers).
"""

from __future__ import annotations

import hashlib
import hmac
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import OPTOUT_METHODS, OPTOUT_SCOPES, OptOutEvent


def normalise_address(address: str) -> str:
    """Phone numbers to E.164-ish (+44...), emails lower-cased, anything else stripped."""
    address = address.strip()
    if "@" in address:
        return address.lower()
    digits = re.sub(r"[^\d+]", "", address)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if digits.startswith("0"):
        digits = "+44" + digits[1:]
    return digits or address


def pseudonym(key: str, kind: str, value: str) -> str:
    """Keyed HMAC-SHA256 of an identifier; the raw number or email is never stored here."""
    normalised = normalise_address(value) if kind == "address" else value
    return hmac.new(key.encode(), f"{kind}:{normalised}".encode(), hashlib.sha256).hexdigest()


def record(
    session: Session,
    *,
    subject: str,
    scope: str,
    action: str,
    channel: str,
    method: str,
    notice_version: str,
    conversation_id: str | None,
    utterance: str | None,
) -> OptOutEvent:
    if scope not in OPTOUT_SCOPES:
        raise ValueError(f"unknown opt-out scope {scope!r}")
    if action not in ("opt_out", "withdraw"):
        raise ValueError(f"unknown opt-out action {action!r}")
    if method not in OPTOUT_METHODS:
        raise ValueError(f"unknown opt-out method {method!r}")
    event = OptOutEvent(
        subject=subject,
        scope=scope,
        action=action,
        channel=channel,
        method=method,
        notice_version=notice_version,
        conversation_id=conversation_id,
        utterance=(utterance or "")[:1000] or None,
    )
    session.add(event)
    session.flush()
    return event


def history(session: Session, subject: str) -> list[OptOutEvent]:
    return list(
        session.scalars(
            select(OptOutEvent).where(OptOutEvent.subject == subject).order_by(OptOutEvent.id)
        )
    )


def current_choices(session: Session, subjects: list[str | None]) -> set[str]:
    """Scopes the resident has opted out of, across every identity we recognise for them."""
    subjects = [s for s in subjects if s]
    if not subjects:
        return set()
    latest: dict[str, tuple[int, str]] = {}
    rows = session.execute(
        select(OptOutEvent.id, OptOutEvent.scope, OptOutEvent.action)
        .where(OptOutEvent.subject.in_(subjects))
        .order_by(OptOutEvent.id)
    )
    for event_id, scope, action in rows:
        latest[scope] = (event_id, action)
    return {scope for scope, (_id, action) in latest.items() if action == "opt_out"}


SCOPE_WORDS = {
    "automated_assistant": "not to use the automated assistant",
    "data_use": "not to have your conversations kept or used to improve the service",
    "call_recording": "not to have your calls recorded",
    "sms": "not to get text messages from us",
}


def describe_choices(scopes: set[str]) -> str:
    """Plain-English sentence a resident is told when they ask what we hold."""
    if not scopes:
        return "We have no choices recorded for you. You can use the assistant or talk to a person."
    parts = [SCOPE_WORDS[s] for s in OPTOUT_SCOPES if s in scopes]
    return "You have asked " + "; and ".join(parts) + ". We will keep to this until you tell us otherwise."
