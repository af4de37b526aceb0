"""Digital inclusion: record, with the resident's agreement, that they cannot get online, and
which help they chose (Tea and Tech sessions, device lending, a call back from the digital
inclusion team). The bot's action calls `record_need` only after the resident said yes to
being recorded; the reports count these rows and nothing else about the person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from storage.db import Database
from storage.models import (
    CHANNELS,
    INCLUSION_NEEDS,
    INCLUSION_OFFERS,
    Conversation,
    DigitalInclusionNeed,
    utcnow,
)


class InclusionError(ValueError):
    """A code the record does not know: the message says which codes it does."""


def _check(name: str, value: str, codes: tuple[str, ...]) -> None:
    if value not in codes:
        raise InclusionError(f"{name} must be one of {', '.join(codes)}")


def record_need(s: Session, *, channel: str, need: str, offer: str,
                conversation_id: str | None = None, created_at: datetime | None = None) -> int:
    _check("channel", channel, CHANNELS)
    _check("need", need, INCLUSION_NEEDS)
    _check("offer", offer, INCLUSION_OFFERS)
    row = DigitalInclusionNeed(conversation_id=conversation_id, channel=channel, need=need,
                               offer=offer, created_at=created_at or utcnow())
    s.add(row)
    s.flush()
    return row.id


# --- for the bot: note on "yes", then the help the resident picks ---------------------------
# The bot notes the need as soon as the resident agrees (so a resident who then leaves is still
# counted) and sets the help they choose a turn later, on the same row.

def _linked(s: Session, conversation_id: str | None) -> str | None:
    """The conversation to link, if it exists (the action server may run without the router)."""
    return conversation_id if conversation_id and s.get(Conversation, conversation_id) else None


def note_need(db: Database, *, channel: str, need: str,
              conversation_id: str | None = None) -> int:
    """Record an agreed need with no help chosen yet ("none"); returns the row's id."""
    with db.session() as s:
        return record_need(s, channel=channel, need=need, offer="none",
                           conversation_id=_linked(s, conversation_id))


def choose_offer(db: Database, *, need_id: int, offer: str,
                 conversation_id: str | None = None) -> bool:
    """Set the help chosen on a need this conversation recorded. False (nothing changed) when
    the row is gone or belongs to another conversation: a slot value is never trusted alone."""
    _check("offer", offer, INCLUSION_OFFERS)
    with db.session() as s:
        row = s.get(DigitalInclusionNeed, int(need_id))
        if row is None or row.conversation_id != _linked(s, conversation_id):
            return False
        row.offer = offer
        return True
