"""Advisor-side operations on handoff tickets: list, claim (race-safe), reply, hand back, close."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.redaction import redact
from storage.db import Database
from storage.models import AuditLog, Conversation, HandoffTicket, Message, utcnow

CLOSED_TEXT = (
    "The advisor has finished this conversation. Thank you for contacting us. "
    "How did we do? Choose a score from 1 (very poor) to 5 (very good)."
)
HANDED_BACK_TEXT = "The advisor has passed you back to the automated assistant. Ask me anything."


class ClaimLost(RuntimeError):
    """Another advisor claimed the ticket first."""


def audit(s: Session, advisor_id: int | None, action: str, target: str | None = None,
          **detail: Any) -> None:
    s.add(AuditLog(advisor_id=advisor_id, action=action, target=target, detail=detail or None))


def queued(s: Session) -> list[HandoffTicket]:
    """Most urgent first, then longest waiting."""
    return list(s.scalars(
        select(HandoffTicket).where(HandoffTicket.status == "queued")
        .order_by(HandoffTicket.priority, HandoffTicket.queued_at, HandoffTicket.id)
    ))


def claim(db: Database, ticket_id: int, advisor_id: int) -> None:
    """Exactly one advisor wins: the update only matches while the ticket is still queued."""
    with db.session() as s:
        won = s.execute(
            update(HandoffTicket)
            .where(HandoffTicket.id == ticket_id, HandoffTicket.status == "queued")
            .values(status="claimed", advisor_id=advisor_id, claimed_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
        if won != 1:
            raise ClaimLost(ticket_id)
        ticket = s.get(HandoffTicket, ticket_id)
        conv = s.get(Conversation, ticket.conversation_id)
        conv.state = "advisor"
        s.add(Message(conversation_id=conv.id, sender="system",
                      text="An advisor has joined the conversation."))
        audit(s, advisor_id, "claim", f"ticket:{ticket_id}")


def reply(db: Database, ticket_id: int, advisor_id: int, text: str, redact_kinds,
          send_sms: Callable[[str, str], None] | None = None) -> int:
    text = (text or "").strip()
    if not text:
        raise ValueError("Enter a reply")
    if len(text) > 1000:
        raise ValueError("Your reply must be 1,000 characters or fewer")
    with db.session() as s:
        ticket = _owned(s, ticket_id, advisor_id)
        conv = s.get(Conversation, ticket.conversation_id)
        msg = Message(conversation_id=conv.id, sender="advisor", text=redact(text, redact_kinds),
                      advisor_id=advisor_id)
        s.add(msg)
        s.flush()
        audit(s, advisor_id, "reply", f"ticket:{ticket_id}")
        if conv.channel == "sms" and send_sms and conv.address:
            # Sent inside the transaction: if Twilio refuses, the reply is not recorded as sent.
            send_sms(conv.address, text)
        return msg.id


def hand_back(db: Database, ticket_id: int, advisor_id: int) -> None:
    with db.session() as s:
        ticket = _owned(s, ticket_id, advisor_id)
        ticket.status, ticket.closed_at, ticket.outcome = "closed", utcnow(), "handed back"
        conv = s.get(Conversation, ticket.conversation_id)
        conv.state = "bot"
        s.add(Message(conversation_id=conv.id, sender="system", text=HANDED_BACK_TEXT))
        audit(s, advisor_id, "hand_back", f"ticket:{ticket_id}")


def close(db: Database, ticket_id: int, advisor_id: int, outcome: str,
          send_sms: Callable[[str, str], None] | None = None) -> None:
    outcome = (outcome or "").strip()[:64]
    if not outcome:
        raise ValueError("Choose an outcome")
    with db.session() as s:
        ticket = _owned(s, ticket_id, advisor_id)
        ticket.status, ticket.closed_at, ticket.outcome = "closed", utcnow(), outcome
        conv = s.get(Conversation, ticket.conversation_id)
        conv.state, conv.closed_at = "closed", utcnow()
        s.add(Message(conversation_id=conv.id, sender="system", text=CLOSED_TEXT))
        audit(s, advisor_id, "close", f"ticket:{ticket_id}", outcome=outcome)
        if conv.channel == "sms" and send_sms and conv.address:
            send_sms(conv.address, "Thanks for contacting us. Reply with a score from 1 to 5 "
                     "to tell us how we did.")


def _owned(s: Session, ticket_id: int, advisor_id: int) -> HandoffTicket:
    ticket = s.get(HandoffTicket, ticket_id)
    if ticket is None:
        raise LookupError(ticket_id)
    if ticket.status != "claimed" or ticket.advisor_id != advisor_id:
        raise PermissionError("Claim this conversation before you act on it")
    return ticket
