"""Retention and data-subject requests: purge, subject access, erasure, training export.

- `purge`: transcripts older than RETENTION_DAYS (DATA_USE_RETENTION_DAYS for conversations with
  a data_use opt-out) are deleted, unless a person still needs them (an open handoff ticket, an
  open callback or an open case). The Rasa tracker store is pruned to match. A purged
  conversation's phone verifications go with it; its (closed) report stays, without the email
  and number for updates and without its outbox updates.
- `subject_access`: everything we hold for one resident, as JSON-ready data, including the email
  and number on their reports, an address kept mid-report, numbers texted a code and the
  updates in the outbox.
- `erase`: deletes everything for one resident except the opt-out register, which is the legal
  record of their choices (append-only, and pseudonymous): conversations, reports found by
  conversation or by their update address, phone verifications, and outbox rows for those
  reports or whose payload names the address.
- `export_training`: resident messages as NLU-ready text, leaving out every conversation with a
  data_use opt-out.

All functions take a `Database` and plain values, so the CLI, the tests and any scheduler can
call them. Nothing here reads raw identifiers back out of the register: subjects are matched by
their keyed pseudonym.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, create_engine, delete, func, inspect, or_, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from core.identity import normalise_address
from privacy import register as optout
from storage.db import Database
from storage.models import (
    AuditLog,
    CallbackRequest,
    Case,
    Conversation,
    HandoffTicket,
    Message,
    OptOutEvent,
    OptOutWords,
    OutboxMessage,
    PhoneVerification,
    utcnow,
)

# Case statuses after which the council no longer needs the conversation behind a case.
CLOSED_CASE_STATUSES = frozenset({
    "closed", "completed", "complete", "resolved", "done", "cancelled", "canceled",
    "rejected", "withdrawn", "fixed", "collected", "cleared", "repaired", "no further action",
})
CHUNK = 500  # ids per IN (...) list: well under SQLite's parameter limit
FALLBACK_INTENT = "nlu_fallback"


def _chunks(items: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value else None


# --- the Rasa tracker store ----------------------------------------------------------------------


def tracker_url_from_env(environ: dict[str, str] | None = None) -> str | None:
    """TRACKER_DATABASE_URL (any SQLAlchemy URL), else the embedded SQLite file RASA_TRACKER_DB."""
    env = os.environ if environ is None else environ
    if env.get("TRACKER_DATABASE_URL"):
        return env["TRACKER_DATABASE_URL"]
    if env.get("RASA_TRACKER_DB"):
        return f"sqlite:///{env['RASA_TRACKER_DB']}"
    return None


class TrackerStore:
    """Rasa's SQL tracker store: table `events` (sender_id, type_name, timestamp, intent_name,
    action_name, data). Our conversation ids are the Rasa sender ids."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine | None:
        if self.url is None:
            return None
        if self._engine is None:
            if self.url.startswith("sqlite:///") and not os.path.exists(
                self.url.removeprefix("sqlite:///")
            ):
                return None  # Rasa has not run here yet: nothing to prune
            # hide_parameters: an error never prints a resident's words or number in clear.
            self._engine = create_engine(self.url, future=True, hide_parameters=True)
        return self._engine

    def available(self) -> bool:
        engine = self.engine
        return engine is not None and inspect(engine).has_table("events")

    def delete_senders(self, sender_ids: Iterable[str]) -> int:
        if not self.available():
            return 0
        deleted = 0
        with self.engine.begin() as conn:
            for batch in _chunks(sorted(set(sender_ids))):
                params = {f"s{i}": sid for i, sid in enumerate(batch)}
                marks = ", ".join(f":s{i}" for i in range(len(batch)))
                deleted += conn.execute(
                    text(f"DELETE FROM events WHERE sender_id IN ({marks})"),  # noqa: S608
                    params,
                ).rowcount
        return deleted

    def latest_by_sender(self) -> dict[str, float]:
        if not self.available():
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT sender_id, MAX(timestamp) FROM events GROUP BY sender_id")
            )
            return {sid: float(ts or 0) for sid, ts in rows}

    def events_for(self, sender_ids: Iterable[str]) -> list[dict[str, Any]]:
        if not self.available():
            return []
        out: list[dict[str, Any]] = []
        with self.engine.connect() as conn:
            for batch in _chunks(sorted(set(sender_ids))):
                params = {f"s{i}": sid for i, sid in enumerate(batch)}
                marks = ", ".join(f":s{i}" for i in range(len(batch)))
                rows = conn.execute(
                    text(
                        "SELECT sender_id, type_name, timestamp, intent_name, action_name, data "  # noqa: S608
                        f"FROM events WHERE sender_id IN ({marks}) ORDER BY id"
                    ),
                    params,
                )
                for sid, type_name, ts, intent, action, data in rows:
                    try:
                        parsed = json.loads(data) if data else None
                    except ValueError:
                        parsed = data
                    out.append({
                        "sender_id": sid, "type": type_name,
                        "at": _iso(datetime.fromtimestamp(ts, UTC).replace(tzinfo=None))
                        if ts else None,
                        "intent": intent, "action": action, "data": parsed,
                    })
        return out

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


@contextlib.contextmanager
def _tracker(tracker: TrackerStore | str | None) -> Iterator[TrackerStore]:
    """The given store, or one opened from a URL and disposed of afterwards."""
    if isinstance(tracker, TrackerStore):
        yield tracker
        return
    store = TrackerStore(tracker)
    try:
        yield store
    finally:
        store.dispose()


# --- who is protected, who opted out of data use -----------------------------------------------


def protected_conversation_ids(s: Session) -> set[str]:
    """Conversations a person still needs: an open ticket, an open callback or an open case."""
    ids = set(s.scalars(select(HandoffTicket.conversation_id)
                        .where(HandoffTicket.status != "closed")))
    ids |= set(s.scalars(select(CallbackRequest.conversation_id)
                         .where(CallbackRequest.status == "open")))
    for conv_id, status in s.execute(
        select(Case.conversation_id, Case.status).where(Case.conversation_id.is_not(None))
    ):
        if (status or "").strip().lower() not in CLOSED_CASE_STATUSES:
            ids.add(conv_id)
    return ids


def data_use_subjects(s: Session) -> set[str]:
    """Subjects whose latest data_use event is an opt-out."""
    latest: dict[str, str] = {}
    for subject, action in s.execute(
        select(OptOutEvent.subject, OptOutEvent.action)
        .where(OptOutEvent.scope == "data_use").order_by(OptOutEvent.id)
    ):
        latest[subject] = action
    return {subject for subject, action in latest.items() if action == "opt_out"}


def data_use_conversation_ids(s: Session) -> set[str]:
    """Conversations covered by a data_use opt-out: flagged on the conversation, opted out in it
    (and not withdrawn there), or belonging to a resident (any identity we recognise) whose
    standing choice is opt-out."""
    ids = set(s.scalars(select(Conversation.id).where(Conversation.data_use_opt_out.is_(True))))
    in_conversation: dict[str, str] = {}
    for conv_id, action in s.execute(
        select(OptOutEvent.conversation_id, OptOutEvent.action)
        .where(OptOutEvent.scope == "data_use", OptOutEvent.conversation_id.is_not(None))
        .order_by(OptOutEvent.id)
    ):
        in_conversation[conv_id] = action
    ids |= {conv_id for conv_id, action in in_conversation.items() if action == "opt_out"}
    subjects = data_use_subjects(s)
    if subjects:
        for batch in _chunks(sorted(subjects)):
            ids |= set(s.scalars(select(Conversation.id).where(or_(
                Conversation.subject.in_(batch),
                Conversation.identified_subject.in_(batch),
            ))))
    return ids


# --- purge ------------------------------------------------------------------------------------


@dataclass
class PurgeResult:
    conversations_deleted: int = 0
    messages_deleted: int = 0
    kept_for_people: int = 0
    tracker_events_deleted: int = 0
    tracker_available: bool = False
    purged_ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("purged_ids")
        return out


def _forget_case_contacts(s: Session, conversation_ids: list[str]) -> None:
    """The council keeps a report (the case) after its conversation goes, but not where the
    resident's updates were to go: the email and number on it, and any outbox work (updates
    not yet sent, texts already sent) for it, are removed with the conversation."""
    for batch in _chunks(conversation_ids):
        case_ids = select(Case.id).where(Case.conversation_id.in_(batch))
        s.execute(delete(OutboxMessage).where(OutboxMessage.case_id.in_(case_ids),
                                              OutboxMessage.kind != "open311_post")
                  .execution_options(synchronize_session=False))
        s.execute(Case.__table__.update().where(Case.conversation_id.in_(batch))
                  .values(contact_email=None, contact_phone=None))


def _outbox_naming(address: str | None) -> Any:
    """Outbox rows whose payload or result holds this address (matched in the stored JSON)."""
    if not address:
        return None
    pattern = f"%{address}%"
    return or_(cast(OutboxMessage.payload, String).like(pattern),
               cast(OutboxMessage.result, String).like(pattern))


def _delete_conversations(s: Session, ids: Iterable[str]) -> tuple[int, int]:
    """Delete conversations and everything hanging off them. Returns (conversations, messages)."""
    conversations = messages = 0
    ids = list(ids)
    _forget_case_contacts(s, ids)
    for batch in _chunks(ids):
        s.execute(delete(CallbackRequest).where(CallbackRequest.conversation_id.in_(batch))
                  .execution_options(synchronize_session=False))
        s.execute(delete(PhoneVerification).where(PhoneVerification.conversation_id.in_(batch))
                  .execution_options(synchronize_session=False))
        messages += s.execute(delete(Message).where(Message.conversation_id.in_(batch))
                              .execution_options(synchronize_session=False)).rowcount
        s.execute(delete(HandoffTicket).where(HandoffTicket.conversation_id.in_(batch))
                  .execution_options(synchronize_session=False))
        conversations += s.execute(delete(Conversation).where(Conversation.id.in_(batch))
                                   .execution_options(synchronize_session=False)).rowcount
    return conversations, messages


def purge(
    db: Database,
    *,
    days: int = 90,
    data_use_days: int = 30,
    tracker: TrackerStore | str | None = None,
    now: datetime | None = None,
) -> PurgeResult:
    """Delete transcripts older than `days` (`data_use_days` for data_use opt-outs).

    A conversation goes when its last activity is older than its retention and no person still
    needs it (open ticket, callback or case). In conversations that stay, resident, bot and
    advisor messages older than the retention go, unless a person still needs the conversation.
    Opt-out events are never touched. The Rasa tracker store loses the purged conversations and
    every sender whose latest event is older than the retention.
    """
    if days < 1 or data_use_days < 1:
        raise ValueError("retention must be at least one day")
    data_use_days = min(data_use_days, days)
    now = now or utcnow()
    cutoff = now - timedelta(days=days)
    data_use_cutoff = now - timedelta(days=data_use_days)
    result = PurgeResult()

    with db.session() as s:
        protected = protected_conversation_ids(s)
        data_use = data_use_conversation_ids(s)
        last_message = (
            select(Message.conversation_id, func.max(Message.sent_at).label("last"))
            .group_by(Message.conversation_id).subquery()
        )
        rows = s.execute(
            select(Conversation.id, Conversation.created_at, Conversation.updated_at,
                   Conversation.closed_at, last_message.c.last)
            .outerjoin(last_message, last_message.c.conversation_id == Conversation.id)
        ).all()
        doomed: list[str] = []
        trim: dict[datetime, list[str]] = defaultdict(list)
        for conv_id, created, updated, closed, last in rows:
            limit = data_use_cutoff if conv_id in data_use else cutoff
            last_activity = max(d for d in (created, updated, closed, last) if d is not None)
            if conv_id in protected:
                # A person still needs the whole transcript: nothing in it goes yet.
                result.kept_for_people += last_activity < limit
            elif last_activity < limit:
                doomed.append(conv_id)
            else:
                trim[limit].append(conv_id)
        result.conversations_deleted, result.messages_deleted = _delete_conversations(s, doomed)
        for limit, ids in trim.items():
            for batch in _chunks(ids):
                result.messages_deleted += s.execute(
                    delete(Message).where(Message.conversation_id.in_(batch),
                                          Message.sent_at < limit)
                    .execution_options(synchronize_session=False)
                ).rowcount
        result.purged_ids = doomed
        s.add(AuditLog(action="privacy_purge", target=f"days:{days}",
                       detail={"conversations": result.conversations_deleted,
                               "messages": result.messages_deleted,
                               "kept_for_people": result.kept_for_people}))

    with _tracker(tracker) as store:
        result.tracker_available = store.available()
        if result.tracker_available:
            stale = set(doomed)
            cutoff_ts = cutoff.replace(tzinfo=UTC).timestamp()
            data_use_ts = data_use_cutoff.replace(tzinfo=UTC).timestamp()
            for sender, latest in store.latest_by_sender().items():
                if sender in protected:
                    continue
                if latest < (data_use_ts if sender in data_use else cutoff_ts):
                    stale.add(sender)
            result.tracker_events_deleted = store.delete_senders(stale)
    return result


# --- subjects ---------------------------------------------------------------------------------


@dataclass
class SubjectRef:
    """One resident as named in a request: by phone number, email or web session."""

    kind: str  # phone | email | web_session
    value: str
    pseudonym: str
    address: str | None  # the normalised phone number or email, for callbacks and replies

    @classmethod
    def from_request(cls, hmac_key: str, *, phone: str | None = None, email: str | None = None,
                     web_session: str | None = None) -> SubjectRef:
        given = [(k, v) for k, v in (("phone", phone), ("email", email),
                                     ("web_session", web_session)) if v]
        if len(given) != 1:
            raise ValueError("Give exactly one of a phone number, an email or a web session")
        kind, value = given[0]
        value = value.strip()
        if kind == "web_session":
            return cls(kind, value, optout.pseudonym(hmac_key, "web", value), None)
        if kind == "email" and "@" not in value:
            raise ValueError("That email address is not in the right format")
        if kind == "phone" and sum(c.isdigit() for c in value) < 9:
            raise ValueError("That phone number is too short")
        return cls(kind, value, optout.pseudonym(hmac_key, "address", value),
                   normalise_address(value))


def subject_conversation_ids(s: Session, ref: SubjectRef) -> set[str]:
    conditions = [
        Conversation.subject == ref.pseudonym,
        Conversation.identified_subject == ref.pseudonym,
    ]
    if ref.address:
        conditions.append(Conversation.address == ref.address)
        # An address kept for the report the bot was taking (services/contact_details.py).
        conditions.append(Conversation.contact_detail == ref.address)
    ids = set(s.scalars(select(Conversation.id).where(or_(*conditions))))
    if ref.address:
        ids |= set(s.scalars(select(CallbackRequest.conversation_id)
                             .where(CallbackRequest.phone == ref.address)))
        # A report whose updates go to this address is theirs, and so is its conversation.
        ids |= set(s.scalars(select(Case.conversation_id).where(
            _case_naming(ref), Case.conversation_id.is_not(None))))
    return ids


def _case_naming(ref: SubjectRef) -> Any:
    """Cases whose update address is the resident's (stored normalised, as the bot took it)."""
    return or_(func.lower(Case.contact_email) == ref.address, Case.contact_phone == ref.address)


def _subject_cases(s: Session, ref: SubjectRef, conv_ids: set[str]) -> list[Case]:
    condition = Case.conversation_id.in_(sorted(conv_ids))
    if ref.address:
        condition = or_(condition, _case_naming(ref))
    return list(s.scalars(select(Case).where(condition).order_by(Case.id)))


def _subject_outbox(s: Session, ref: SubjectRef, case_ids: list[int]) -> list[OutboxMessage]:
    conditions = [OutboxMessage.case_id.in_(case_ids)]
    naming = _outbox_naming(ref.address)
    if naming is not None:
        conditions.append(naming)
    return list(s.scalars(select(OutboxMessage).where(or_(*conditions))
                          .order_by(OutboxMessage.id)))


def _subject_verifications(s: Session, ref: SubjectRef,
                           conv_ids: set[str]) -> list[PhoneVerification]:
    condition = PhoneVerification.conversation_id.in_(sorted(conv_ids))
    if ref.address:
        condition = or_(condition, PhoneVerification.address == ref.address)
    return list(s.scalars(select(PhoneVerification).where(condition)
                          .order_by(PhoneVerification.id)))


def _linked_subjects(s: Session, ref: SubjectRef, conv_ids: set[str]) -> set[str]:
    """The resident's pseudonyms: the one asked about, plus those of their conversations."""
    subjects = {ref.pseudonym}
    for batch in _chunks(sorted(conv_ids)):
        for subject, identified in s.execute(
            select(Conversation.subject, Conversation.identified_subject)
            .where(Conversation.id.in_(batch))
        ):
            subjects.update((subject, identified))
    subjects.discard(None)
    return subjects


def _row(obj: Any, names: Iterable[str]) -> dict[str, Any]:
    out = {}
    for name in names:
        value = getattr(obj, name)
        out[name] = _iso(value) if isinstance(value, datetime) else value
    return out


def subject_access(db: Database, ref: SubjectRef,
                   tracker: TrackerStore | str | None = None) -> dict[str, Any]:
    """Everything held for one resident, ready for json.dumps."""
    with db.session() as s:
        conv_ids = subject_conversation_ids(s, ref)
        subjects = _linked_subjects(s, ref, conv_ids)
        conversations = []
        for batch in _chunks(sorted(conv_ids)):
            for conv in s.scalars(select(Conversation).where(Conversation.id.in_(batch))
                                  .order_by(Conversation.created_at)):
                item = _row(conv, ("id", "channel", "state", "address", "contact_detail",
                                   "created_at", "closed_at", "satisfaction", "data_use_opt_out"))
                item["messages"] = [
                    _row(m, ("sender", "text", "intent", "sent_at")) for m in conv.messages
                ]
                item["tickets"] = [
                    _row(t, ("id", "reason", "priority", "status", "summary", "queued_at",
                             "closed_at", "outcome")) for t in conv.tickets
                ]
                item["callbacks"] = [
                    _row(c, ("id", "phone", "preferred_time", "notes", "recording_url", "status",
                             "created_at", "done_at"))
                    for c in s.scalars(select(CallbackRequest)
                                       .where(CallbackRequest.conversation_id == conv.id)
                                       .order_by(CallbackRequest.id))
                ]
                conversations.append(item)
        conversations.sort(key=lambda c: c["created_at"] or "")
        events = list(s.scalars(
            select(OptOutEvent).where(or_(
                OptOutEvent.subject.in_(sorted(subjects)),
                OptOutEvent.conversation_id.in_(sorted(conv_ids)),
            )).order_by(OptOutEvent.id)
        ))
        cases = _subject_cases(s, ref, conv_ids)
        outbox_rows = _subject_outbox(s, ref, [c.id for c in cases])
        verifications = _subject_verifications(s, ref, conv_ids)
        choices = optout.current_choices(s, sorted(subjects))
        s.add(AuditLog(action="privacy_subject_access", target=f"subject:{ref.pseudonym[:16]}",
                       detail={"conversations": len(conversations)}))
        export = {
            "generated_at": _iso(utcnow()),
            "subject": {"kind": ref.kind, "pseudonym": ref.pseudonym},
            "current_choices": sorted(choices),
            "current_choices_text": optout.describe_choices(choices),
            "conversations": conversations,
            "optout_events": [
                _row(e, ("scope", "action", "channel", "method", "notice_version",
                         "conversation_id", "utterance", "at")) for e in events
            ],
            "cases": [
                _row(c, ("reference", "kind", "location", "postcode", "details",
                         "contact_preference", "contact_email", "contact_phone", "status",
                         "status_note", "conversation_id", "created_at", "updated_at"))
                for c in cases
            ],
            # Updates we sent or will send them (the code hash and worker leases are ours).
            "messages_to_you": [
                _row(m, ("kind", "state", "payload", "result", "created_at", "sent_at"))
                for m in outbox_rows
            ],
            # Numbers they asked us to text a code to, and whether they typed it back.
            "phone_verifications": [
                _row(v, ("conversation_id", "address", "attempts", "created_at", "verified_at"))
                for v in verifications
            ],
        }
    with _tracker(tracker) as store:
        export["assistant_records"] = store.events_for(conv_ids)
    return export


@dataclass
class EraseResult:
    conversations_deleted: int = 0
    messages_deleted: int = 0
    callbacks_deleted: int = 0
    cases_deleted: int = 0
    outbox_messages_deleted: int = 0
    phone_verifications_deleted: int = 0
    tracker_events_deleted: int = 0
    optout_events_kept: int = 0
    optout_words_deleted: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def erase(db: Database, ref: SubjectRef, tracker: TrackerStore | str | None = None) -> EraseResult:
    """Delete everything held for one resident except their opt-out events (the legal record).

    The words they used when making those choices go too (optout_words): the register keeps
    what was chosen, when, how and under which notice, not what the resident typed or said."""
    result = EraseResult()
    with db.session() as s:
        conv_ids = subject_conversation_ids(s, ref)
        subjects = _linked_subjects(s, ref, conv_ids)
        if ref.address:
            result.callbacks_deleted += s.execute(
                delete(CallbackRequest).where(CallbackRequest.phone == ref.address)
                .execution_options(synchronize_session=False)
            ).rowcount
            result.phone_verifications_deleted += s.execute(
                delete(PhoneVerification).where(PhoneVerification.address == ref.address)
                .execution_options(synchronize_session=False)).rowcount
        case_ids = [c.id for c in _subject_cases(s, ref, conv_ids)]
        # Explicitly, not only by the foreign key's cascade: a payload naming the address goes
        # too, whatever case (if any) it belongs to.
        result.outbox_messages_deleted = len(_subject_outbox(s, ref, case_ids))
        for row in _subject_outbox(s, ref, case_ids):
            s.delete(row)
        s.flush()
        for batch in _chunks(sorted(conv_ids)):
            result.callbacks_deleted += s.execute(
                delete(CallbackRequest).where(CallbackRequest.conversation_id.in_(batch))
                .execution_options(synchronize_session=False)
            ).rowcount
            result.phone_verifications_deleted += s.execute(
                delete(PhoneVerification).where(PhoneVerification.conversation_id.in_(batch))
                .execution_options(synchronize_session=False)).rowcount
        for batch in _chunks(case_ids):
            result.cases_deleted += s.execute(
                delete(Case).where(Case.id.in_(batch))
                .execution_options(synchronize_session=False)
            ).rowcount
        result.conversations_deleted, result.messages_deleted = _delete_conversations(
            s, sorted(conv_ids))
        event_ids = select(OptOutEvent.id).where(or_(
            OptOutEvent.subject.in_(sorted(subjects)),
            OptOutEvent.conversation_id.in_(sorted(conv_ids)),
        ))
        result.optout_words_deleted = s.execute(
            delete(OptOutWords).where(OptOutWords.event_id.in_(event_ids))
            .execution_options(synchronize_session=False)
        ).rowcount
        result.optout_events_kept = s.scalar(
            select(func.count()).select_from(OptOutEvent)
            .where(OptOutEvent.subject.in_(sorted(subjects)))
        ) or 0
        s.add(AuditLog(action="privacy_erase", target=f"subject:{ref.pseudonym[:16]}",
                       detail={k: v for k, v in result.as_dict().items()
                               if k != "tracker_events_deleted"}))
    with _tracker(tracker) as store:
        result.tracker_events_deleted = store.delete_senders(conv_ids)
    return result


# --- training export --------------------------------------------------------------------------


@dataclass
class TrainingExport:
    text: str
    examples: int
    conversations_excluded: int


def _yaml_example(text_: str) -> str:
    return " ".join(text_.split())


def export_training(db: Database, *, fmt: str = "yaml", include_fallback: bool = False,
                    since: datetime | None = None) -> TrainingExport:
    """Resident messages as NLU-ready text, never from a conversation with a data_use opt-out.

    `yaml`: Rasa NLU training data grouped by the intent the assistant recognised (for review
    before it goes into data/nlu); `text`: one message per line, for labelling from scratch.
    Duplicates are dropped; redaction markers stay as they are.
    """
    if fmt not in ("yaml", "text"):
        raise ValueError("format must be yaml or text")
    with db.session() as s:
        excluded = data_use_conversation_ids(s)
        query = (
            select(Message.conversation_id, Message.text, Message.intent)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Message.sender == "resident")
            .order_by(Message.id)
        )
        if since is not None:
            query = query.where(Message.sent_at >= since)
        by_intent: dict[str, list[str]] = defaultdict(list)
        seen: set[tuple[str, str]] = set()
        lines: list[str] = []
        for conv_id, body, intent in s.execute(query):
            if conv_id in excluded:
                continue
            example = _yaml_example(body)
            if not example:
                continue
            if fmt == "text":
                if ("", example) not in seen:
                    seen.add(("", example))
                    lines.append(example)
                continue
            if not intent or (intent == FALLBACK_INTENT and not include_fallback):
                continue
            if (intent, example) in seen:
                continue
            seen.add((intent, example))
            by_intent[intent].append(example)
    if fmt == "text":
        return TrainingExport("\n".join(lines) + ("\n" if lines else ""), len(lines),
                              len(excluded))
    out = ['version: "3.1"', "nlu:"]
    count = 0
    for intent in sorted(by_intent):
        out.append(f"- intent: {intent}")
        out.append("  examples: |")
        for example in by_intent[intent]:
            out.append(f"    - {example}")
            count += 1
    return TrainingExport("\n".join(out) + "\n", count, len(excluded))
