"""The application's tables. Written for SQLAlchemy 1.4 in 2.0 style (future engine, select()).

Imports run one way: handoff and services import storage; storage imports nothing of ours.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
    text,
)
from sqlalchemy.orm import declarative_base, relationship

from core.vocabulary import (  # noqa: F401 - re-exported: the stored codes, defined once
    CHANNELS,
    HANDOFF_REASONS,
    OPTOUT_ACTIONS,
    OPTOUT_METHODS,
    OPTOUT_SCOPES,
    ROLES,
    SENDERS,
    TICKET_STATUSES,
)

Base = declarative_base()


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_conversation_id() -> str:
    # Unguessable: 192 bits from the OS CSPRNG.
    return secrets.token_urlsafe(24)


STATES = ("bot", "waiting", "advisor", "closed")


class ConversationNotFound(LookupError):
    """No conversation has that id: the router raises it, views acting on one catch it."""


class Conversation(Base):
    __tablename__ = "conversations"

    id = Column(String(64), primary_key=True, default=new_conversation_id)
    channel = Column(String(8), nullable=False)
    state = Column(String(8), nullable=False, default="bot")
    # Keyed pseudonym (HMAC) of the phone number, email or web session: never the raw value.
    subject = Column(String(64), index=True)
    # Where replies go (a phone number for phone/SMS). Needed to answer; erased with the subject.
    address = Column(String(64))
    call_sid = Column(String(64), index=True)
    # Per-conversation channel preferences and counters (slow speech, failed turns, last prompt).
    prefs = Column(JSON, nullable=False, default=dict)
    last_bot_text = Column(Text)
    data_use_opt_out = Column(Boolean, nullable=False, default=False)
    satisfaction = Column(Integer)
    satisfaction_at = Column(DateTime)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    closed_at = Column(DateTime)

    messages = relationship(
        "Message",
        back_populates="conversation",
        order_by="Message.id",
        cascade="all, delete-orphan",
    )
    tickets = relationship(
        "HandoffTicket",
        back_populates="conversation",
        order_by="HandoffTicket.id",
        cascade="all, delete-orphan",
    )


class Message(Base):
    __tablename__ = "messages"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(
        String(64), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    sender = Column(String(10), nullable=False)
    text = Column(Text, nullable=False)
    buttons = Column(JSON)
    intent = Column(String(64))
    confidence = Column(Float)
    advisor_id = Column(Integer, ForeignKey("advisors.id"))
    sent_at = Column(DateTime, nullable=False, default=utcnow)

    conversation = relationship("Conversation", back_populates="messages")


class Advisor(Base):
    __tablename__ = "advisors"

    id = Column(Integer, primary_key=True)
    name = Column(String(120), nullable=False)
    email = Column(String(254), nullable=False, unique=True)
    password_hash = Column(String(255), nullable=False)
    role = Column(String(12), nullable=False, default="advisor")
    active = Column(Boolean, nullable=False, default=True)
    # Set by the console's own polling: advisors seen recently count as available.
    last_seen_at = Column(DateTime)
    created_at = Column(DateTime, nullable=False, default=utcnow)

    # Flask-Login protocol, kept here so the console needs no wrapper class.
    @property
    def is_active(self) -> bool:
        return bool(self.active)

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class HandoffTicket(Base):
    __tablename__ = "handoff_tickets"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(
        String(64), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    reason = Column(String(16), nullable=False)
    # 1 is most urgent (safeguarding), 2 high (housing, system failure), 3 normal.
    priority = Column(Integer, nullable=False, default=3)
    summary = Column(JSON, nullable=False, default=dict)
    status = Column(String(8), nullable=False, default="queued")
    queued_at = Column(DateTime, nullable=False, default=utcnow)
    claimed_at = Column(DateTime)
    closed_at = Column(DateTime)
    advisor_id = Column(Integer, ForeignKey("advisors.id"))
    outcome = Column(String(64))
    # The team that owns the service the resident asked about (from the service catalogue),
    # so the handoff reaches advisors who know it; None when nothing pointed to a team.
    team = Column(String(64))

    conversation = relationship("Conversation", back_populates="tickets")
    advisor = relationship("Advisor")

    __table_args__ = (Index("ix_ticket_queue", "status", "priority", "queued_at"),)


class CallbackRequest(Base):
    __tablename__ = "callback_requests"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(
        String(64), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    ticket_id = Column(Integer, ForeignKey("handoff_tickets.id", ondelete="SET NULL"))
    phone = Column(String(32))
    preferred_time = Column(String(120))
    notes = Column(Text)
    recording_url = Column(String(500))
    status = Column(String(8), nullable=False, default="open")
    handled_by = Column(Integer, ForeignKey("advisors.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow)
    done_at = Column(DateTime)


class AuditLog(Base):
    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    advisor_id = Column(Integer, ForeignKey("advisors.id"))
    action = Column(String(40), nullable=False)
    target = Column(String(80))
    detail = Column(JSON)
    at = Column(DateTime, nullable=False, default=utcnow, index=True)


class OptOutEvent(Base):
    """Append-only register of residents' choices. The application never updates or deletes rows:
    ORM hooks refuse it, and database triggers refuse it for any other client."""

    __tablename__ = "optout_events"

    id = Column(Integer, primary_key=True)
    subject = Column(String(64), nullable=False, index=True)
    scope = Column(String(24), nullable=False)
    action = Column(String(8), nullable=False)
    channel = Column(String(8), nullable=False)
    method = Column(String(8), nullable=False)
    notice_version = Column(String(32), nullable=False)
    conversation_id = Column(String(64))
    utterance = Column(Text)
    at = Column(DateTime, nullable=False, default=utcnow)


class AppendOnlyViolation(RuntimeError):
    pass


@event.listens_for(OptOutEvent, "before_update")
def _refuse_update(_mapper, _conn, _target):
    raise AppendOnlyViolation("opt-out events are append-only: record a new event instead")


@event.listens_for(OptOutEvent, "before_delete")
def _refuse_delete(_mapper, _conn, _target):
    raise AppendOnlyViolation("opt-out events are append-only and kept as the legal record")


APPEND_ONLY_SQLITE = [
    """CREATE TRIGGER IF NOT EXISTS optout_events_no_update BEFORE UPDATE ON optout_events
       BEGIN SELECT RAISE(ABORT, 'optout_events is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS optout_events_no_delete BEFORE DELETE ON optout_events
       BEGIN SELECT RAISE(ABORT, 'optout_events is append-only'); END""",
]
APPEND_ONLY_POSTGRES = [
    """CREATE OR REPLACE FUNCTION optout_events_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'optout_events is append-only'; END; $$ LANGUAGE plpgsql""",
    """DROP TRIGGER IF EXISTS optout_events_no_change ON optout_events""",
    """CREATE TRIGGER optout_events_no_change BEFORE UPDATE OR DELETE ON optout_events
       FOR EACH ROW EXECUTE FUNCTION optout_events_append_only()""",
]


def install_append_only_guards(conn) -> None:
    statements = APPEND_ONLY_POSTGRES if conn.dialect.name == "postgresql" else APPEND_ONLY_SQLITE
    for statement in statements:
        conn.execute(text(statement))


# --- Council data behind the assistant's look-ups -------------------------------------------


class Case(Base):
    """A resident's report (missed bin, pothole, fly-tipping, street light), ref HC-nnnnnn."""

    __tablename__ = "cases"

    id = Column(Integer, primary_key=True)
    reference = Column(String(12), nullable=False, unique=True)
    kind = Column(String(24), nullable=False)
    location = Column(Text, nullable=False)
    postcode = Column(String(10))
    details = Column(Text)
    contact_preference = Column(String(40))
    status = Column(String(40), nullable=False, default="Received")
    status_note = Column(Text)
    conversation_id = Column(String(64))
    sample = Column(Boolean, nullable=False, default=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class CollectionRound(Base):
    """Which day each bin type is collected, by postcode (full, sector or district)."""

    __tablename__ = "collection_rounds"

    id = Column(Integer, primary_key=True)
    postcode_prefix = Column(String(10), nullable=False, index=True)
    round_name = Column(String(40), nullable=False)
    bin_type = Column(String(20), nullable=False)
    weekday = Column(Integer, nullable=False)  # 0 = Monday
    every_weeks = Column(Integer, nullable=False, default=1)
    first_date = Column(DateTime, nullable=False)  # a known collection date, anchors fortnights
    sample = Column(Boolean, nullable=False, default=False)


class Library(Base):
    __tablename__ = "libraries"

    id = Column(Integer, primary_key=True)
    name = Column(String(60), nullable=False, unique=True)
    address = Column(String(200), nullable=False)
    phone = Column(String(20))
    # {"mon": "09:30-17:00", "tue": null, ...}; null means closed.
    hours = Column(JSON, nullable=False)
    sample = Column(Boolean, nullable=False, default=False)


class PlanningApplication(Base):
    __tablename__ = "planning_applications"

    id = Column(Integer, primary_key=True)
    reference = Column(String(12), nullable=False, unique=True)
    address = Column(String(200), nullable=False)
    description = Column(Text, nullable=False)
    status = Column(String(40), nullable=False)
    decision_due = Column(DateTime)
    decided_at = Column(DateTime)
    decision = Column(String(40))
    sample = Column(Boolean, nullable=False, default=False)


class AnswerFeedback(Base):
    """A resident's answer to "Did that answer your question?" after a service catalogue answer."""

    __tablename__ = "answer_feedback"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(
        String(64), ForeignKey("conversations.id", ondelete="SET NULL"), index=True
    )
    channel = Column(String(8), nullable=False)
    service_id = Column(String(64), nullable=False, index=True)  # the catalogue entry answered
    helpful = Column(Boolean, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)


class UnansweredQuestion(Base):
    """A question nothing in the catalogue answered, stored redacted for the content team."""

    __tablename__ = "unanswered_questions"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(
        String(64), ForeignKey("conversations.id", ondelete="SET NULL"), index=True
    )
    channel = Column(String(8), nullable=False)
    text = Column(Text, nullable=False)  # redacted before it is stored
    likely_team = Column(String(64))  # the closest service's team, if any was close
    candidates = Column(JSON, nullable=False, default=list)  # closest service ids, best first
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)


class CatalogueService(Base):
    """One service in the council's catalogue (services/catalogue.py validates it). Replaced as a
    whole by `contact-assistant data import-services` or loaded from the shipped sample."""

    __tablename__ = "catalogue_services"

    id = Column(String(64), primary_key=True)
    position = Column(Integer, nullable=False, default=0)  # order in the council's file
    title = Column(String(120), nullable=False)
    team = Column(String(64), nullable=False)
    data = Column(JSON, nullable=False)  # the whole validated entry
    sample = Column(Boolean, nullable=False, default=False)
    imported_at = Column(DateTime, nullable=False, default=utcnow)
