"""Helpers for the privacy suite: conversations with chosen ages, and a Rasa tracker store."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from storage.models import Conversation, HandoffTicket, Message, utcnow

# Rasa 3.6's SQLTrackerStore table (rasa.core.tracker_store.SQLTrackerStore.SQLEvent).
TRACKER_SCHEMA = """
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    sender_id VARCHAR(255) NOT NULL,
    type_name VARCHAR(255) NOT NULL,
    timestamp FLOAT,
    intent_name VARCHAR(255),
    action_name VARCHAR(255),
    data TEXT
);
CREATE INDEX ix_events_sender_id ON events (sender_id);
"""


def ago(days: float) -> datetime:
    return utcnow() - timedelta(days=days)


def add_conversation(db, *, channel: str = "web", days_old: float = 0, state: str = "closed",
                     subject: str | None = None, address: str | None = None,
                     data_use: bool = False, ticket: str | None = None,
                     texts: tuple[str, ...] = ("hello",),
                     identified_subject: str | None = None) -> str:
    """A conversation whose every timestamp is `days_old` days ago; `ticket` is a status."""
    when = ago(days_old)
    with db.session() as s:
        conv = Conversation(channel=channel, state=state, subject=subject, address=address,
                            identified_subject=identified_subject, data_use_opt_out=data_use,
                            created_at=when,
                            updated_at=when, closed_at=when if state == "closed" else None)
        s.add(conv)
        s.flush()
        for text in texts:
            s.add(Message(conversation_id=conv.id, sender="resident", text=text, sent_at=when,
                          intent="greet"))
        if ticket:
            s.add(HandoffTicket(conversation_id=conv.id, reason="requested", status=ticket,
                                summary={}, queued_at=when))
        s.flush()
        # onupdate would move updated_at to now: put it back.
        s.execute(Conversation.__table__.update().where(Conversation.id == conv.id)
                  .values(updated_at=when))
        return conv.id


class Tracker:
    """A SQLite file laid out like Rasa's SQL tracker store."""

    def __init__(self, path) -> None:
        self.path = path
        self.url = f"sqlite:///{path}"
        with sqlite3.connect(path) as conn:
            conn.executescript(TRACKER_SCHEMA)

    def add(self, sender_id: str, days_old: float, text: str = "hello") -> None:
        ts = (datetime.now(UTC) - timedelta(days=days_old)).timestamp()
        with sqlite3.connect(self.path) as conn:
            conn.execute(
                "INSERT INTO events (sender_id, type_name, timestamp, intent_name, data) "
                "VALUES (?, 'user', ?, 'greet', ?)",
                (sender_id, ts, json.dumps({"event": "user", "text": text, "timestamp": ts})),
            )

    def senders(self) -> set[str]:
        with sqlite3.connect(self.path) as conn:
            return {row[0] for row in conn.execute("SELECT DISTINCT sender_id FROM events")}

    def count(self) -> int:
        with sqlite3.connect(self.path) as conn:
            return conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]


@pytest.fixture
def tracker(tmp_path) -> Tracker:
    return Tracker(tmp_path / "rasa_tracker.db")


def optout_count(db) -> int:
    from sqlalchemy import func, select

    from storage.models import OptOutEvent

    with db.session() as s:
        return s.scalar(select(func.count()).select_from(OptOutEvent))
