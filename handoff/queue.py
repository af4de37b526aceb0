"""Advisor-side operations on handoff tickets: list, claim (race-safe), reply, hand back, close,
take a phone call, callbacks and the team view. Every advisor action is written to the audit log.

The console (handoff/console/) and the CLI (handoff/cli.py) are thin layers over this module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.vocabulary import ConversationState
from handoff import scores
from handoff import state as machine
from handoff.availability import ADVISOR_SEEN_WINDOW
from privacy.redaction import redact
from storage.db import Database
from storage.models import (
    Advisor,
    AuditLog,
    CallbackRequest,
    Conversation,
    HandoffTicket,
    Message,
    utcnow,
)

CLOSED_TEXT = (
    "The advisor has finished this conversation. Thank you for contacting us. "
    "How did we do? Choose a score from 1 (very poor) to 5 (very good)."
)
CLOSED_SMS_TEXT = (
    "Thanks for contacting us. Reply with a score from 1 to 5 to tell us how we did."
)
HANDED_BACK_TEXT = "The advisor has passed you back to the automated assistant. Ask me anything."
JOINED_TEXT = "An advisor has joined the conversation."
TAKE_CALL_TEXT = "An advisor took the phone call."
RETURNED_TO_QUEUE_TEXT = (
    "Your advisor has had to leave. You are back in the queue and the next advisor will help you."
)
CLAIM_LOST_TEXT = "Another advisor has taken this conversation"

# Close outcomes: stored value -> what the advisor reads.
OUTCOMES = {
    "resolved": "Resolved",
    "callback_arranged": "Callback arranged",
    "referred": "Referred to service",
    "no_response": "No response",
    "other": "Other",
}

# Saved replies an advisor can insert (app.config["CANNED_REPLIES"] overrides these).
CANNED_REPLIES = (
    "Hello, my name is {name}. I am an advisor at the council. How can I help?",
    "Thank you. Give me a moment while I look into this for you.",
    "Could you tell me the first line of your address and your postcode?",
    "I have passed this to the right team. They will contact you within 5 working days.",
    "Is there anything else I can help you with today?",
)


class ClaimLost(RuntimeError):
    """Another advisor claimed the ticket first."""


class NotAPhoneCall(ValueError):
    """Take call was asked of a conversation that has no live phone call."""


def audit(s: Session, advisor_id: int | None, action: str, target: str | None = None,
          **detail: Any) -> None:
    s.add(AuditLog(advisor_id=advisor_id, action=action, target=target, detail=detail or None))


# --- reads ----------------------------------------------------------------------------------


def queued(s: Session) -> list[HandoffTicket]:
    """Most urgent first, then longest waiting."""
    return list(s.scalars(
        select(HandoffTicket).where(HandoffTicket.status == "queued")
        .order_by(HandoffTicket.priority, HandoffTicket.queued_at, HandoffTicket.id)
    ))


def claimed_by(s: Session, advisor_id: int) -> list[HandoffTicket]:
    return list(s.scalars(
        select(HandoffTicket)
        .where(HandoffTicket.status == "claimed", HandoffTicket.advisor_id == advisor_id)
        .order_by(HandoffTicket.claimed_at, HandoffTicket.id)
    ))


def transcript(s: Session, conversation_id: str, after_id: int = 0) -> list[Message]:
    return list(s.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.id > after_id)
        .order_by(Message.id)
    ))


def snippet(summary: dict[str, Any] | None, limit: int = 120) -> str:
    """The resident's latest words (or the bot's note) for one line of the queue."""
    summary = summary or {}
    said = summary.get("said")
    text = ""
    if isinstance(said, list) and said:
        text = str(said[-1])
    elif isinstance(said, str):
        text = said
    if not text:
        text = str(summary.get("note") or "")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass
class TeamMember:
    advisor: Advisor
    available: bool
    tickets: list[HandoffTicket]


def team(s: Session, now: datetime | None = None) -> list[TeamMember]:
    """Every advisor, whether they are available now and what they are handling."""
    now = now or utcnow()
    advisors = list(s.scalars(select(Advisor).order_by(Advisor.active.desc(), Advisor.name)))
    tickets = list(s.scalars(
        select(HandoffTicket).where(HandoffTicket.status == "claimed")
        .order_by(HandoffTicket.claimed_at)
    ))
    by_advisor: dict[int, list[HandoffTicket]] = {}
    for ticket in tickets:
        by_advisor.setdefault(ticket.advisor_id, []).append(ticket)
    return [
        TeamMember(
            advisor=a,
            available=bool(a.active and a.last_seen_at
                           and a.last_seen_at >= now - ADVISOR_SEEN_WINDOW),
            tickets=by_advisor.get(a.id, []),
        )
        for a in advisors
    ]


def callbacks(s: Session, status: str = "open", limit: int = 200) -> list[CallbackRequest]:
    order = CallbackRequest.created_at if status == "open" else CallbackRequest.done_at.desc()
    return list(s.scalars(
        select(CallbackRequest).where(CallbackRequest.status == status)
        .order_by(order, CallbackRequest.id).limit(limit)
    ))


# --- advisor presence -----------------------------------------------------------------------


def touch(db: Database, advisor_id: int) -> None:
    """The advisor is at their console now (availability counts recently seen advisors)."""
    with db.session() as s:
        s.execute(
            update(Advisor).where(Advisor.id == advisor_id).values(last_seen_at=utcnow())
            .execution_options(synchronize_session=False)
        )


# --- actions --------------------------------------------------------------------------------


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
            if s.get(HandoffTicket, ticket_id) is None:
                raise LookupError(ticket_id)
            raise ClaimLost(ticket_id)
        ticket = s.get(HandoffTicket, ticket_id)
        conv = s.get(Conversation, ticket.conversation_id)
        machine.transition(conv, ConversationState.ADVISOR)
        s.add(Message(conversation_id=conv.id, sender="system", text=JOINED_TEXT))
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
        audit(s, advisor_id, "reply", f"ticket:{ticket_id}", channel=conv.channel)
        if conv.channel == "sms" and send_sms and conv.address:
            # Sent inside the transaction: if Twilio refuses, the reply is not recorded as sent.
            send_sms(conv.address, text)
        return msg.id


def hand_back(db: Database, ticket_id: int, advisor_id: int,
              send_sms: Callable[[str, str], None] | None = None) -> None:
    with db.session() as s:
        ticket = _owned(s, ticket_id, advisor_id)
        ticket.status, ticket.closed_at, ticket.outcome = "closed", utcnow(), "handed back"
        conv = s.get(Conversation, ticket.conversation_id)
        machine.transition(conv, ConversationState.BOT)
        s.add(Message(conversation_id=conv.id, sender="system", text=HANDED_BACK_TEXT))
        audit(s, advisor_id, "hand_back", f"ticket:{ticket_id}")
        if conv.channel == "sms" and send_sms and conv.address:
            send_sms(conv.address, HANDED_BACK_TEXT)


def close(db: Database, ticket_id: int, advisor_id: int, outcome: str,
          send_sms: Callable[[str, str], None] | None = None) -> None:
    outcome = (outcome or "").strip()[:64]
    if not outcome:
        raise ValueError("Choose an outcome")
    with db.session() as s:
        ticket = _owned(s, ticket_id, advisor_id)
        ticket.status, ticket.closed_at, ticket.outcome = "closed", utcnow(), outcome
        conv = s.get(Conversation, ticket.conversation_id)
        machine.transition(conv, ConversationState.CLOSED)
        s.add(Message(conversation_id=conv.id, sender="system", text=CLOSED_TEXT))
        audit(s, advisor_id, "close", f"ticket:{ticket_id}", outcome=outcome)
        if conv.channel == "sms" and send_sms and conv.address and scores.texts_allowed(s, conv):
            send_sms(conv.address, CLOSED_SMS_TEXT)
            conv.satisfaction_asked_at = utcnow()  # a reply of 1 to 5 is now a score


def dial_twiml(target: str) -> str:
    """TwiML that connects a waiting caller to the advisor.

    `target` is "client:<identity>" (Twilio Voice SDK in the browser), "sip:<uri>" or a phone
    number. Built with twilio's TwiML builder, so every value is XML-escaped."""
    from twilio.twiml.voice_response import Dial, VoiceResponse

    response = VoiceResponse()
    dial = Dial()
    if target.startswith("client:"):
        dial.client(target.removeprefix("client:"))
    elif target.startswith("sip:"):
        dial.sip(target)
    else:
        dial.number(target)
    response.append(dial)
    return response.to_xml(xml_declaration=False)


def take_call(db: Database, ticket_id: int, advisor_id: int,
              connect: Callable[[str], None]) -> str:
    """Claim the phone ticket (if it is not already ours) and connect the caller to the advisor.

    `connect(call_sid)` makes the Twilio REST request. Returns the call SID."""
    with db.session() as s:
        ticket = s.get(HandoffTicket, ticket_id)
        if ticket is None:
            raise LookupError(ticket_id)
        conv = s.get(Conversation, ticket.conversation_id)
        if conv.channel != "phone" or not conv.call_sid:
            raise NotAPhoneCall("This conversation is not a phone call")
        already_ours = ticket.status == "claimed" and ticket.advisor_id == advisor_id
    if not already_ours:
        claim(db, ticket_id, advisor_id)
    with db.session() as s:
        ticket = _owned(s, ticket_id, advisor_id)
        conv = s.get(Conversation, ticket.conversation_id)
        call_sid = conv.call_sid
        # Inside the transaction: if Twilio refuses, no "took the call" is recorded.
        connect(call_sid)
        s.add(Message(conversation_id=conv.id, sender="system", text=TAKE_CALL_TEXT))
        audit(s, advisor_id, "take_call", f"ticket:{ticket_id}")
        return call_sid


def mark_callback_done(db: Database, callback_id: int, advisor_id: int) -> None:
    with db.session() as s:
        callback = s.get(CallbackRequest, callback_id)
        if callback is None:
            raise LookupError(callback_id)
        if callback.status == "done":
            return
        callback.status, callback.done_at, callback.handled_by = "done", utcnow(), advisor_id
        audit(s, advisor_id, "callback_done", f"callback:{callback_id}")


def release_all(s: Session, advisor_id: int, by_advisor_id: int | None) -> int:
    """Put an advisor's claimed tickets back in the queue (e.g. when they are deactivated)."""
    released = 0
    for ticket in claimed_by(s, advisor_id):
        ticket.status, ticket.advisor_id, ticket.claimed_at = "queued", None, None
        conv = s.get(Conversation, ticket.conversation_id)
        if machine.state_of(conv.state) == ConversationState.ADVISOR:
            machine.transition(conv, ConversationState.WAITING)
        s.add(Message(conversation_id=conv.id, sender="system", text=RETURNED_TO_QUEUE_TEXT))
        audit(s, by_advisor_id, "release", f"ticket:{ticket.id}", from_advisor=advisor_id)
        released += 1
    return released


def deactivate_advisor(db: Database, advisor_id: int, by_advisor_id: int | None) -> int:
    """Deactivate an account and return its open conversations to the queue. Returns how many."""
    with db.session() as s:
        advisor = s.get(Advisor, advisor_id)
        if advisor is None:
            raise LookupError(advisor_id)
        advisor.active = False
        released = release_all(s, advisor_id, by_advisor_id)
        audit(s, by_advisor_id, "advisor_deactivate", f"advisor:{advisor_id}", released=released)
        return released


def _owned(s: Session, ticket_id: int, advisor_id: int) -> HandoffTicket:
    ticket = s.get(HandoffTicket, ticket_id)
    if ticket is None:
        raise LookupError(ticket_id)
    if ticket.status != "claimed" or ticket.advisor_id != advisor_id:
        raise PermissionError("Claim this conversation before you act on it")
    return ticket
