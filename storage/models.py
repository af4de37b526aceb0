"""The application's tables. Written for SQLAlchemy 1.4 in 2.0 style (future engine, select()).

Imports run one way: handoff and services import storage; storage imports nothing of ours.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
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
    CONVERSATION_STATES,
    HANDOFF_REASONS,
    OPTOUT_ACTIONS,
    OPTOUT_METHODS,
    OPTOUT_SCOPES,
    ROLES,
    SENDERS,
    TICKET_STATUSES,
    ConversationState,
)

Base = declarative_base()


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_conversation_id() -> str:
    # Unguessable: 192 bits from the OS CSPRNG.
    return secrets.token_urlsafe(24)


STATES = CONVERSATION_STATES


class ConversationNotFound(LookupError):
    """No conversation has that id: the router raises it, views acting on one catch it."""


class Conversation(Base):
    __tablename__ = "conversations"

    id = Column(String(64), primary_key=True, default=new_conversation_id)
    channel = Column(String(8), nullable=False)
    # Changed only through handoff/state.py (transition); the check constraint refuses strays.
    state = Column(String(16), nullable=False, default=ConversationState.BOT.value)
    # Keyed pseudonym (HMAC) of the phone number, email or web session: never the raw value.
    subject = Column(String(64), index=True)
    # The pseudonym of a phone number the resident has proved is theirs (web chat), whose
    # register entries then apply to this conversation too.
    identified_subject = Column(String(64), index=True)
    # Where replies go (a phone number for phone/SMS). Needed to answer; erased with the subject.
    address = Column(String(64))
    call_sid = Column(String(64), index=True)
    # Turn-taking (handoff/turns.py): turns in a row not heard or not understood.
    failed_turns = Column(Integer, nullable=False, default=0)
    # The payloads of the buttons the assistant offered in its latest turn: only these are
    # accepted as button presses (anything else starting with "/" is plain text).
    offered_payloads = Column(JSON, nullable=False, default=list)
    # Phone: the caller asked for slower speech; what "press star" repeats.
    slow_speech = Column(Boolean, nullable=False, default=False)
    last_prompt = Column(Text)
    # SMS: the "Reply PERSON" footer has been sent once in this thread.
    sms_intro_sent = Column(Boolean, nullable=False, default=False)
    # Web: when the resident's browser last read the conversation, and whether it polls (with
    # JavaScript), so a chat whose page was closed can be marked abandoned.
    last_seen_at = Column(DateTime)
    polls = Column(Boolean, nullable=False, default=False)
    # Report updates (services/contact_details.py): the kind of address the bot just asked for
    # ("email", "phone", "proof"), and the address the resident gave, kept here instead of
    # reaching Rasa until the report action takes it onto the case.
    collecting_contact = Column(String(8))
    contact_detail = Column(String(254))
    last_bot_text = Column(Text)
    data_use_opt_out = Column(Boolean, nullable=False, default=False)
    satisfaction = Column(Integer)
    satisfaction_at = Column(DateTime)
    # When we asked for a score outside the web page (an SMS after an advisor closed it, the
    # phone's keypad question): a reply counts as a score only after a question (handoff/scores.py).
    satisfaction_asked_at = Column(DateTime)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    closed_at = Column(DateTime)

    __table_args__ = (
        CheckConstraint(
            "state IN (" + ", ".join(f"'{state}'" for state in CONVERSATION_STATES) + ")",
            name="ck_conversations_state",
        ),
    )

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


class PhoneVerification(Base):
    """A one-time code texted to a number a web resident gave us. Until they type it back, the
    number is not their identity: choices in that chat stay with the conversation alone."""

    __tablename__ = "phone_verifications"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(
        String(64), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    address = Column(String(32), nullable=False, index=True)  # normalised; erased with the chat
    code_hash = Column(String(64), nullable=False)  # keyed HMAC of the code, never the code
    attempts = Column(Integer, nullable=False, default=0)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    expires_at = Column(DateTime, nullable=False)
    verified_at = Column(DateTime)


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
    # Two-factor sign-in (handoff/console/twofactor.py). Secrets are Fernet-encrypted, never
    # plain; `totp_pending` holds a secret being enrolled until its first code is confirmed.
    totp_secret = Column(String(255))
    totp_pending = Column(String(255))
    # The last accepted 30-second TOTP step: a code is never accepted twice.
    totp_last_step = Column(Integer)
    # Part of every session cookie; bumped on sign-out, password and 2FA resets so copies of
    # an older cookie stop working (handoff/console/sessions.py).
    session_version = Column(Integer, nullable=False, default=1, server_default="1")

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


class AdvisorRecoveryCode(Base):
    """One-time recovery codes for two-factor sign-in: only a SHA-256 of each is kept."""

    __tablename__ = "advisor_recovery_codes"

    id = Column(Integer, primary_key=True)
    advisor_id = Column(Integer, ForeignKey("advisors.id"), nullable=False, index=True)
    code_hash = Column(String(64), nullable=False)
    used_at = Column(DateTime)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class SignInThrottle(Base):
    """Failed sign-in attempts per email address (a SHA-256 of it, known advisor or not, so a
    lockout does not reveal who has an account). In the database, so every worker agrees."""

    __tablename__ = "sign_in_throttle"

    key = Column(String(64), primary_key=True)
    failures = Column(Integer, nullable=False, default=0)
    locked_until = Column(DateTime)
    updated_at = Column(DateTime, nullable=False, default=utcnow)


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
    at = Column(DateTime, nullable=False, default=utcnow)
    # The resident's (redacted) words live beside the register, not in it: the choice is kept
    # for good, the words are personal data that erasure must be able to remove.
    words = relationship("OptOutWords", uselist=False, lazy="selectin", viewonly=True)

    @property
    def utterance(self) -> str | None:
        return self.words.utterance if self.words is not None else None


class OptOutWords(Base):
    """What the resident said when making a choice (redacted). Not append-only: erasure deletes
    it, while the register row it explains (OptOutEvent) stays as the legal record."""

    __tablename__ = "optout_words"

    event_id = Column(Integer, ForeignKey("optout_events.id"), primary_key=True)
    utterance = Column(Text, nullable=False)


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
    # Where updates go, as the resident gave them (erased with the resident's other data).
    contact_email = Column(String(254))
    contact_phone = Column(String(32))
    # The council back office's own id for this report (Open311 service_request_id), or the
    # token it answered with until that id is known.
    service_request_id = Column(String(64), index=True)
    backoffice_token = Column(String(64))
    # When the status last changed, as the source said (back office time for Open311 and CSV).
    status_updated_at = Column(DateTime)

    history = relationship(
        "CaseStatusChange", order_by="CaseStatusChange.id", cascade="all, delete-orphan"
    )


class CaseStatusChange(Base):
    """Every status a case has had, with who or what changed it (open311, import, console)."""

    __tablename__ = "case_status_changes"

    id = Column(Integer, primary_key=True)
    case_id = Column(
        Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True
    )
    status = Column(String(40), nullable=False)
    note = Column(Text)
    source = Column(String(12), nullable=False)
    advisor_id = Column(Integer, ForeignKey("advisors.id"))
    changed_at = Column(DateTime, nullable=False, default=utcnow)


class OutboxMessage(Base):
    """Work for the delivery worker, written in the same transaction as the case or status
    change it comes from, so a crash can never keep one without the other.

    kind: open311_post, email, sms or phone_call. state: pending -> sending -> sent, or
    failed (kept trying and gave up: shown to supervisors, who can retry), recorded (no
    service configured: kept as "would have been sent"), suppressed (the resident opted out),
    manual (a person must do it, e.g. phone the resident)."""

    __tablename__ = "outbox_messages"

    id = Column(Integer, primary_key=True)
    kind = Column(String(16), nullable=False)
    # Unique: enqueueing the same work twice is a no-op, and the key goes to the provider
    # (Notify's `reference`) so a retry after a crash can ask whether it already arrived.
    idempotency_key = Column(String(80), nullable=False, unique=True)
    case_id = Column(Integer, ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    payload = Column(JSON, nullable=False, default=dict)
    state = Column(String(12), nullable=False, default="pending")
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime, nullable=False, default=utcnow)
    lease_until = Column(DateTime)
    claimed_by = Column(String(64))
    last_error = Column(Text)
    result = Column(JSON)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    sent_at = Column(DateTime)

    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_at"),)


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


# --- Digital inclusion (issue 16 item 5) -------------------------------------------------------

# What the resident said stops them getting online, and what we offered. Codes, not words.
INCLUSION_NEEDS = ("no_internet", "no_device", "no_skills", "cannot_afford", "other")
INCLUSION_OFFERS = ("tea_and_tech", "device_lending", "callback", "none")


class DigitalInclusionNeed(Base):
    """A resident said they cannot get online or use a device, and agreed that we record it.

    Anonymous on purpose: no subject, no words, no address. The link to the conversation lets
    an advisor follow up a callback; it is cleared when the conversation is deleted, and the
    count stays for the council's digital exclusion action plan."""

    __tablename__ = "digital_inclusion_needs"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(
        String(64), ForeignKey("conversations.id", ondelete="SET NULL"), index=True
    )
    channel = Column(String(8), nullable=False)
    need = Column(String(16), nullable=False)
    offer = Column(String(16), nullable=False)  # what the resident chose from our offers
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
