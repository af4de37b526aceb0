"""Which conversations the resident has left, so the advisors' queue stops listing them.

Definitions (issue 16, "Abandoned"):
- web: the page stopped polling while waiting for a person (it polls every second with
  JavaScript), or the chat timed out (idle for as long as the browser session lasts) while
  waiting or mid-task;
- phone: Twilio's status callback says the call ended in the queue or mid-flow (the router
  is told directly by the voice channel, see `ConversationRouter.call_ended`);
- SMS: the assistant asked something and got no reply within the configured window.
"Mid-task" (`mid_task`) is what we can see without the bot's internals: the assistant's last
turn asked a question that was not answered (not the "anything else?" closing question), or the
resident's last turn failed (not heard or not understood). A resident who got their answer and
left is not abandoned: whether they were helped is the KPIs' question (reports/).

An abandoned conversation's open ticket is closed with the outcome "abandoned"; any callback
the resident asked for is kept (callbacks are their own list). A resident who comes back
simply carries on: abandoned -> bot (writes again) or waiting (asks for a person).
"""

from __future__ import annotations

import re
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
_CLOSING_QUESTION = re.compile(r"\banything else\b", re.IGNORECASE)


def mid_task(last_sender: str | None, last_text: str | None, failed_turns: int) -> bool:
    """Pure: did the resident leave in the middle of something (see the module's docstring)?"""
    if failed_turns:
        return True
    text = (last_text or "").rstrip()
    return last_sender == "bot" and text.endswith("?") and not _CLOSING_QUESTION.search(text)


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

    last_sender = (select(Message.sender).where(Message.conversation_id == Conversation.id)
                   .order_by(Message.id.desc()).limit(1).scalar_subquery())
    last_text = (select(Message.text).where(Message.conversation_id == Conversation.id)
                 .order_by(Message.id.desc()).limit(1).scalar_subquery())
    last_at = (select(func.max(Message.sent_at))
               .where(Message.conversation_id == Conversation.id).scalar_subquery())

    stopped = now - timedelta(seconds=settings.abandon_web_poll_seconds)
    idle = now - timedelta(minutes=settings.abandon_web_idle_minutes)
    for conv_id, state, polls, last, sender, text, failed in s.execute(
        select(Conversation.id, Conversation.state, Conversation.polls, _last_activity(),
               last_sender, last_text, Conversation.failed_turns)
        .where(Conversation.channel == "web", Conversation.state.in_([waiting, bot]),
               or_(and_(Conversation.state == waiting, Conversation.polls.is_(True),
                        _last_activity() < stopped),
                   _last_activity() < idle),
               has_resident_words)
    ):
        if state == bot and not mid_task(sender, text, failed or 0):
            continue  # they had their answer and went: not abandoned
        polled_out = state == waiting and polls and last >= idle
        left.append(Left(conv_id, STOPPED_POLLING if polled_out else TIMED_OUT))

    quiet = now - timedelta(hours=settings.abandon_sms_hours)
    for conv_id, sender, text, failed in s.execute(
        select(Conversation.id, last_sender, last_text, Conversation.failed_turns)
        .where(Conversation.channel == "sms", Conversation.state == bot, last_at < quiet)
    ):
        if mid_task(sender, text, failed or 0):
            left.append(Left(conv_id, NO_SMS_REPLY))
    return left
