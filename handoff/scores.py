"""Satisfaction scores outside the web page: the SMS question after an advisor closes a text
conversation, and the phone's one keypad question at the end of a call the assistant handled.

A reply counts as a score only when we asked (Conversation.satisfaction_asked_at), within
SMS_WINDOW, once, and never for a number that opted out of texts. Anything else is an ordinary
message. The router calls these inside its own unit of work; parsing is pure.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.vocabulary import ConversationState
from handoff import state as machine
from handoff.turns import NOT_UNDERSTOOD_INTENT
from privacy import register as optout
from storage.models import Conversation, HandoffTicket, Message

SMS_WINDOW = timedelta(hours=24)
PHONE_ASKED = "Asked the caller for a score from 1 to 5 on the keypad."

_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
# "4", "4.", "five", "5 stars", "4/5", "4 out of 5", "score 3", "a 5 thanks": short replies only.
_SCORE = re.compile(
    r"^(?:(?:my\s+)?(?:score|rating)\s*(?:is|:)?\s*|i\s+give\s+(?:you\s+|it\s+)?|an?\s+)?"
    r"(?P<n>[1-5]|one|two|three|four|five)"
    r"(?:\s*(?:stars?|/\s*5|out\s+of\s+(?:5|five)))?"
    r"(?:\s*[,.!]?\s*(?:thanks|thank\s+you|ta|cheers))?$"
)
# Not a useful answer from the assistant: a call that only had these was not "helped".
_NOT_HELP = {None, "greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "repeat",
             "out_of_scope", NOT_UNDERSTOOD_INTENT}


def parse_score(text: str | None) -> int | None:
    """'4', 'Five', '5 stars', '4/5', '3 out of 5', 'score 2' -> the score; anything else None."""
    words = " ".join((text or "").lower().replace("\u2b50", " star ").split()).strip(" .!")
    if not words or len(words) > 40:
        return None
    match = _SCORE.match(words)
    if not match:
        return None
    n = match.group("n")
    return int(n) if n.isdigit() else _WORDS[n]


def texts_allowed(s: Session, conv: Conversation) -> bool:
    """False once the number opted out of texts (the `sms` scope): then we never ask or record."""
    return "sms" not in optout.current_choices(s, [conv.subject, conv.identified_subject])


def awaiting_sms_score(s: Session, number: str, now: datetime) -> Conversation | None:
    """The number's latest SMS conversation, if it is the closed one we asked to score within
    the window, not yet scored, and the number still accepts texts."""
    conv = s.scalars(
        select(Conversation)
        .where(Conversation.channel == "sms", Conversation.address == number)
        .order_by(Conversation.updated_at.desc(), Conversation.created_at.desc())
        .limit(1)
    ).first()
    if (conv is None or machine.state_of(conv.state) != ConversationState.CLOSED
            or conv.satisfaction is not None or conv.satisfaction_asked_at is None
            or conv.satisfaction_asked_at < now - SMS_WINDOW):
        return None
    return conv if texts_allowed(s, conv) else None


def phone_may_ask(s: Session, conv: Conversation) -> bool:
    """Ask a caller once, at the end of a call the assistant handled on its own: still with the
    assistant, never handed to a person, not asked before, and helped with something real."""
    if (conv.channel != "phone" or machine.state_of(conv.state) != ConversationState.BOT
            or conv.satisfaction_asked_at is not None or conv.satisfaction is not None):
        return False
    handed_over = s.scalar(select(HandoffTicket.id)
                           .where(HandoffTicket.conversation_id == conv.id).limit(1))
    if handed_over is not None:
        return False
    intents = s.scalars(select(Message.intent).where(Message.conversation_id == conv.id,
                                                     Message.sender == "resident"))
    return any(intent not in _NOT_HELP for intent in intents)
