"""Residents' answers to "Did that answer your question?" (table answer_feedback).

No personal data: the conversation, the channel, which service was answered, and yes or no.
"""

from __future__ import annotations

from sqlalchemy import select

from storage.db import Database
from storage.models import CHANNELS, AnswerFeedback, Conversation

# Rasa's input channel names -> our stored channel codes.
RASA_CHANNELS = {"webchat": "web", "phone": "phone", "sms": "sms"}


def record_feedback(db: Database, *, conversation_id: str | None, channel: str,
                    service_id: str, helpful: bool) -> int:
    channel = RASA_CHANNELS.get(channel, channel)
    if channel not in CHANNELS:
        channel = "web"
    with db.session() as s:
        # Conversations are the router's; a test or bench sender may have none.
        known = conversation_id and s.scalar(
            select(Conversation.id).where(Conversation.id == conversation_id))
        row = AnswerFeedback(conversation_id=conversation_id if known else None,
                             channel=channel, service_id=service_id[:64], helpful=helpful)
        s.add(row)
        s.flush()
        return row.id
