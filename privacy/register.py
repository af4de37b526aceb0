"""The opt-out register: an append-only log of residents' choices, keyed by pseudonym.

Each event records who (a keyed pseudonym of the phone number, email or web session: never the
raw value), which scope (automated_assistant, data_use, call_recording, sms), the action
(opt_out or withdraw), the channel and method, the notice version the resident was shown,
the conversation, the resident's words (redacted) and the UTC time.

Current choices are derived from the events (the latest event per scope wins, across every
identity we recognise for the resident); nothing is ever updated or deleted (see
storage.models.OptOutEvent and its database triggers).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from core.identity import normalise_address  # noqa: F401 - re-exported for callers
from privacy.redaction import redact
from storage.models import (
    CHANNELS,
    OPTOUT_ACTIONS,
    OPTOUT_METHODS,
    OPTOUT_SCOPES,
    OptOutEvent,
    OptOutWords,
)

# Kinds of identifier a pseudonym can be made from. Phone numbers and emails share "address",
# so a number that calls and texts us is one subject.
PSEUDONYM_KINDS = ("address", "web")
MAX_UTTERANCE = 1000


def pseudonym(key: str, kind: str, value: str) -> str:
    """Keyed HMAC-SHA256 of an identifier; the raw number or email is never stored here."""
    if not key:
        raise ValueError("the opt-out pseudonym key (OPTOUT_HMAC_KEY) is not set")
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
    redact_kinds: Iterable[str] | None = None,
) -> OptOutEvent:
    """Append one event. The resident's words are redacted again here, whoever passed them."""
    if not subject:
        raise ValueError("an opt-out event needs a subject")
    for what, value, codes in (("opt-out scope", scope, OPTOUT_SCOPES),
                               ("opt-out action", action, OPTOUT_ACTIONS),
                               ("opt-out method", method, OPTOUT_METHODS),
                               ("channel", channel, CHANNELS)):
        if value not in codes:
            raise ValueError(f"unknown {what} {value!r}")
    if not notice_version:
        raise ValueError("an opt-out event needs the notice version the resident was shown")
    words = redact((utterance or "").strip(), redact_kinds)[:MAX_UTTERANCE] or None
    event = OptOutEvent(
        subject=subject,
        scope=scope,
        action=action,
        channel=channel,
        method=method,
        notice_version=notice_version,
        conversation_id=conversation_id,
    )
    session.add(event)
    session.flush()
    said = None
    if words:
        said = OptOutWords(event_id=event.id, utterance=words)
        session.add(said)
        session.flush()
    # Fill the read-only link without marking the (append-only) event as changed.
    set_committed_value(event, "words", said)
    return event


def _subjects(subjects: str | Iterable[str | None]) -> list[str]:
    if isinstance(subjects, str):
        return [subjects]
    return list(dict.fromkeys(s for s in subjects if s))


def history(session: Session, subjects: str | Iterable[str | None]) -> list[OptOutEvent]:
    """Every event for one subject (or several identities of one resident), oldest first."""
    wanted = _subjects(subjects)
    if not wanted:
        return []
    return list(
        session.scalars(
            select(OptOutEvent).where(OptOutEvent.subject.in_(wanted)).order_by(OptOutEvent.id)
        )
    )


def current_choices(session: Session, subjects: Iterable[str | None]) -> set[str]:
    """Scopes the resident has opted out of, across every identity we recognise for them.

    The latest event per scope wins (ids are assigned in order, so the register's order is the
    order residents told us).
    """
    wanted = _subjects(subjects)
    if not wanted:
        return set()
    latest: dict[str, str] = {}
    rows = session.execute(
        select(OptOutEvent.scope, OptOutEvent.action)
        .where(OptOutEvent.subject.in_(wanted))
        .order_by(OptOutEvent.id)
    )
    for scope, action in rows:
        latest[scope] = action
    return {scope for scope, action in latest.items() if action == "opt_out"}


def has_opted_out(session: Session, subjects: Iterable[str | None], scope: str) -> bool:
    """For channels that check one scope (the voice channel before <Record>, SMS before sending)."""
    if scope not in OPTOUT_SCOPES:
        raise ValueError(f"unknown opt-out scope {scope!r}")
    return scope in current_choices(session, subjects)


def carry_over(
    session: Session,
    *,
    from_subjects: Iterable[str | None],
    to_subject: str,
    channel: str,
    notice_version: str,
    conversation_id: str | None,
) -> list[OptOutEvent]:
    """A resident identified themselves: their current opt-outs follow them to the new identity.

    Appends an event for each scope opted out under `from_subjects` that `to_subject` has not
    opted out of, so a choice made in web chat before the resident gave their number is
    honoured when that number calls or texts.
    """
    before = current_choices(session, from_subjects)
    already = current_choices(session, [to_subject])
    events = []
    for scope in OPTOUT_SCOPES:
        if scope in before and scope not in already:
            events.append(record(
                session, subject=to_subject, scope=scope, action="opt_out", channel=channel,
                method="text", notice_version=notice_version, conversation_id=conversation_id,
                utterance="(carried over when the resident identified themselves)",
            ))
    return events


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
    return (
        "You have asked " + "; and ".join(parts)
        + ". We will keep to this until you tell us otherwise."
    )
