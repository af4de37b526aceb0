"""Opening hours, advisor availability, queue position and an honest expected wait."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from services.dates import describe_span
from services.hours import open_at, parse_opening_hours
from storage.models import Advisor, HandoffTicket, utcnow

ADVISOR_SEEN_WINDOW = timedelta(minutes=2)


@dataclass(frozen=True)
class OpeningHours:
    """Parsed from e.g. "Mon-Fri 09:00-17:00; Sat 09:00-12:00"."""

    spans: dict[int, tuple[time, time]]
    text: str
    tz: ZoneInfo

    @classmethod
    def parse(cls, spec: str, tz: str = "Europe/London") -> OpeningHours:
        # The same reader the assistant uses (services/hours.py), so both agree on the hours.
        return cls(spans=parse_opening_hours(spec), text=spec, tz=ZoneInfo(tz))

    def is_open(self, at: datetime | None = None) -> bool:
        return open_at(self.spans, (at or datetime.now(self.tz)).astimezone(self.tz))

    def describe(self) -> str:
        """Plain words, e.g. 'Monday to Friday, 9am to 5pm'."""
        names = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
        groups: list[tuple[int, int, tuple[time, time]]] = []
        for day in sorted(self.spans):
            span = self.spans[day]
            if groups and groups[-1][1] == day - 1 and groups[-1][2] == span:
                groups[-1] = (groups[-1][0], day, span)
            else:
                groups.append((day, day, span))
        out = []
        for first, last, (start, end) in groups:
            days = names[first] if first == last else f"{names[first]} to {names[last]}"
            out.append(f"{days}, {describe_span((start, end))}")
        return "; ".join(out) or "closed"


@dataclass(frozen=True)
class QueueStatus:
    position: int | None
    expected_wait_minutes: int | None
    advisors_available: int
    open_now: bool

    @property
    def offer_callback(self) -> bool:
        return not self.open_now or self.advisors_available == 0

    def as_dict(self) -> dict:
        return {
            "position": self.position,
            "expected_wait_minutes": self.expected_wait_minutes,
            "advisors_available": self.advisors_available,
            "open_now": self.open_now,
            "offer_callback": self.offer_callback,
        }


def advisors_available(session: Session, now: datetime | None = None) -> int:
    now = now or utcnow()
    return (
        session.scalar(
            select(func.count(Advisor.id)).where(
                Advisor.active.is_(True), Advisor.last_seen_at >= now - ADVISOR_SEEN_WINDOW
            )
        )
        or 0
    )


def queue_position(session: Session, ticket: HandoffTicket) -> int:
    """1-based place: tickets more urgent, or as urgent and older, are ahead."""
    ahead = (
        session.scalar(
            select(func.count(HandoffTicket.id)).where(
                HandoffTicket.status == "queued",
                HandoffTicket.id != ticket.id,
                or_(
                    HandoffTicket.priority < ticket.priority,
                    and_(
                        HandoffTicket.priority == ticket.priority,
                        HandoffTicket.queued_at <= ticket.queued_at,
                    ),
                ),
            )
        )
        or 0
    )
    return ahead + 1


def queue_status(
    session: Session, ticket: HandoffTicket | None, hours: OpeningHours, handle_minutes: int
) -> QueueStatus:
    available = advisors_available(session)
    open_now = hours.is_open()
    if ticket is None or ticket.status != "queued":
        return QueueStatus(None, None, available, open_now)
    position = queue_position(session, ticket)
    wait = math.ceil(position * handle_minutes / available) if available else None
    return QueueStatus(position, wait, available, open_now)
