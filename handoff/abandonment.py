"""Which conversations the resident has left, so the advisors' queue stops listing them.

Definitions (issue 16, "Abandoned"):
- web: the page stopped polling while waiting for a person (it polls every second with
  JavaScript), or the chat sat idle for as long as the browser session lasts (timed out);
- phone: Twilio's status callback says the call ended in the queue or mid-flow (the router
  is told directly by the voice channel, see `ConversationRouter.call_ended`);
- SMS: the assistant spoke last and got no reply within the configured window.

An abandoned conversation's open ticket is closed with the outcome "abandoned"; any callback
the resident asked for is kept (callbacks are their own list). A resident who comes back
simply carries on: abandoned -> bot (writes again) or waiting (asks for a person).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from core.vocabulary import ConversationState
from storage.models import Conversation, Message

STOPPED_POLLING = "The resident's page stopped checking for replies while they waited."
TIMED_OUT = "The resident's chat timed out."
NO_SMS_REPLY = "The resident did not reply by text."
SWEEP_EVERY = timedelta(seconds=30)


@dataclass(frozen=True)
class Left:
    conversation_id: str
    note: str


def _last_activity() -> Any:
    return func.coalesce(Conversation.last_seen_at, Conversation.updated_at)


def find(s: Session, settings: Any, now: datetime) -> list[Left]:
    """Conversations whose resident has left, by the definitions above."""
    waiting = ConversationState.WAITING.value
    bot = ConversationState.BOT.value
    has_resident_words = select(Message.id).where(
        Message.conversation_id == Conversation.id, Message.sender == "resident").exists()
    left: list[Left] = []

    stopped = now - timedelta(seconds=settings.abandon_web_poll_seconds)
    idle = now - timedelta(minutes=settings.abandon_web_idle_minutes)
    for conv_id, state, polls, last in s.execute(
        select(Conversation.id, Conversation.state, Conversation.polls, _last_activity())
        .where(Conversation.channel == "web", Conversation.state.in_([waiting, bot]),
               or_(and_(Conversation.state == waiting, Conversation.polls.is_(True),
                        _last_activity() < stopped),
                   _last_activity() < idle),
               has_resident_words)
    ):
        polled_out = state == waiting and polls and last < stopped and last >= idle
        left.append(Left(conv_id, STOPPED_POLLING if polled_out else TIMED_OUT))

    quiet = now - timedelta(hours=settings.abandon_sms_hours)
    last_sender = (select(Message.sender).where(Message.conversation_id == Conversation.id)
                   .order_by(Message.id.desc()).limit(1).scalar_subquery())
    last_at = (select(func.max(Message.sent_at))
               .where(Message.conversation_id == Conversation.id).scalar_subquery())
    for (conv_id,) in s.execute(
        select(Conversation.id)
        .where(Conversation.channel == "sms", Conversation.state == bot,
               last_sender.in_(["bot", "system"]), last_at < quiet)
    ):
        left.append(Left(conv_id, NO_SMS_REPLY))
    return left
