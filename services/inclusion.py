"""Digital inclusion: record, with the resident's agreement, that they cannot get online, and
which help they chose (Tea and Tech sessions, device lending, a call back from the digital
inclusion team). The bot's action calls `record_need` only after the resident said yes to
being recorded; the reports count these rows and nothing else about the person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from storage.models import (
    CHANNELS,
    INCLUSION_NEEDS,
    INCLUSION_OFFERS,
    DigitalInclusionNeed,
    utcnow,
)


class InclusionError(ValueError):
    """A code the record does not know: the message says which codes it does."""


def record_need(s: Session, *, channel: str, need: str, offer: str,
                conversation_id: str | None = None, created_at: datetime | None = None) -> int:
    if channel not in CHANNELS:
        raise InclusionError(f"channel must be one of {', '.join(CHANNELS)}")
    if need not in INCLUSION_NEEDS:
        raise InclusionError(f"need must be one of {', '.join(INCLUSION_NEEDS)}")
    if offer not in INCLUSION_OFFERS:
        raise InclusionError(f"offer must be one of {', '.join(INCLUSION_OFFERS)}")
    row = DigitalInclusionNeed(conversation_id=conversation_id, channel=channel, need=need,
                               offer=offer, created_at=created_at or utcnow())
    s.add(row)
    s.flush()
    return row.id
