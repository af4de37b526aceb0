"""The one conversation router. Every channel hands each resident message to `handle()`.

It owns the conversation state (bot, waiting, advisor, closed), decides where a message
goes (the assistant, an advisor, or straight to people for an opted-out resident), calls
Rasa over HTTP through the channel's named input channel, and acts on the signals that
come back (handoff, opt-out). Channels keep no state of their own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from handoff.availability import OpeningHours, QueueStatus, queue_status
from handoff.rasa_client import AssistantUnavailable, RasaClient
from handoff.signals import (
    REASON_PRIORITY,
    ChoiceSignal,
    ParsedReplies,
    Reply,
    SendLinkSignal,
    parse_bot_messages,
)
from privacy import register as optout
from privacy.redaction import redact, redact_data
from storage.db import Database
from storage.models import (
    CallbackRequest,
    Conversation,
    ConversationNotFound,
    HandoffTicket,
    Message,
    UnansweredQuestion,
    utcnow,
)

log = logging.getLogger(__name__)

LOW_CONFIDENCE = 0.45
SMS_THREAD_WINDOW = timedelta(hours=24)

TEXT_FAILURE = (
    "Sorry, our automated assistant is not working right now. "
    "I am passing you to a person instead."
)
TEXT_OPTED_OUT = (
    "You told us you do not want to use the automated assistant, "
    "so I am passing you straight to a person."
)


class InvalidMessage(ValueError):
    """Empty, oversized or otherwise unusable resident input."""


@dataclass
class RouteResult:
    conversation_id: str
    channel: str
    state: str
    replies: list[Reply] = field(default_factory=list)
    handoff_reason: str | None = None
    ticket_id: int | None = None
    queue: QueueStatus | None = None
    recorded_choices: list[ChoiceSignal] = field(default_factory=list)
    assistant_failed: bool = False
    intent: str | None = None
    confidence: float | None = None


@dataclass
class MessageView:
    id: int
    sender: str
    text: str
    buttons: list[dict[str, str]]
    sent_at: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "sender": self.sender, "text": self.text,
                "buttons": self.buttons, "sent_at": self.sent_at}


def handoff_notice(status: QueueStatus, hours: OpeningHours) -> str:
    """Pure: what we tell a resident once they are in the advisors' queue."""
    if not status.open_now:
        return (
            f"Our advisors are not working right now. They are here {hours.describe()}. "
            "You can ask us to call you back, and we will keep what you have told us."
        )
    if status.advisors_available == 0:
        return (
            "I have added you to the queue, but no advisor is free right now. "
            "You can wait, or ask us to call you back."
        )
    minutes = status.expected_wait_minutes or 1
    unit = "minute" if minutes == 1 else "minutes"
    return (
        f"I have passed you to a person. You are number {status.position} in the queue. "
        f"The wait is about {minutes} {unit}. They will see what you have told me."
    )


class ConversationRouter:
    def __init__(self, db: Database, rasa: RasaClient | Any, settings: Any) -> None:
        self.db = db
        self.rasa = rasa
        self.settings = settings
        self.hours = OpeningHours.parse(settings.opening_hours, settings.timezone)

    # --- identities -----------------------------------------------------------------------

    def subject_for(
        self, *, address: str | None = None, session_key: str | None = None
    ) -> str | None:
        key = self.settings.optout_hmac_key
        if address:
            return optout.pseudonym(key, "address", address)
        if session_key:
            return optout.pseudonym(key, "web", session_key)
        return None

    def start(
        self,
        channel: str,
        *,
        address: str | None = None,
        session_key: str | None = None,
        call_sid: str | None = None,
    ) -> str:
        """Open a new conversation and return its unguessable id."""
        with self.db.session() as s:
            conv = Conversation(
                channel=channel,
                state="bot",
                subject=self.subject_for(address=address, session_key=session_key),
                address=optout.normalise_address(address) if address else None,
                call_sid=call_sid,
                prefs={},
            )
            s.add(conv)
            s.flush()
            return conv.id

    def find_by_call(self, call_sid: str) -> str | None:
        with self.db.session() as s:
            return s.scalar(select(Conversation.id).where(Conversation.call_sid == call_sid))

    def sms_thread(self, address: str) -> str:
        """The resident's open SMS conversation from the last day, or a new one."""
        number = optout.normalise_address(address)
        with self.db.session() as s:
            conv_id = s.scalar(
                select(Conversation.id)
                .where(
                    Conversation.channel == "sms",
                    Conversation.address == number,
                    Conversation.state != "closed",
                    Conversation.updated_at >= utcnow() - SMS_THREAD_WINDOW,
                )
                .order_by(Conversation.updated_at.desc())
                .limit(1)
            )
        return conv_id or self.start("sms", address=number)

    def identify(self, conversation_id: str, address: str) -> None:
        """A web resident told us their phone number or email: link their choices to it."""
        with self.db.session() as s:
            conv = self._get(s, conversation_id)
            prefs = dict(conv.prefs or {})
            prefs["identified_subject"] = self.subject_for(address=address)
            conv.prefs = prefs
            # Choices made before they identified themselves follow them to that identity.
            optout.carry_over(
                s, from_subjects=[conv.subject], to_subject=prefs["identified_subject"],
                channel=conv.channel, notice_version=self.settings.data_notice_version,
                conversation_id=conv.id,
            )

    # --- the main path ----------------------------------------------------------------------

    def handle(self, conversation_id: str, text: str, *, method: str = "text") -> RouteResult:
        text = (text or "").strip()
        if not text:
            raise InvalidMessage("Enter a message")
        if len(text) > self.settings.max_message_chars:
            raise InvalidMessage(
                f"Your message must be {self.settings.max_message_chars:,} characters or fewer"
            )
        clean = redact(text, self.settings.redact_kinds)

        with self.db.session() as s:
            conv = self._get(s, conversation_id)
            if conv.state == "closed":
                conv.state = "bot"
                conv.closed_at = None
            resident_msg = Message(conversation_id=conv.id, sender="resident", text=clean)
            s.add(resident_msg)
            s.flush()
            resident_msg_id = resident_msg.id
            channel, state = conv.channel, conv.state
            subjects = self._subjects(conv)
            opted_out = optout.current_choices(s, subjects)
            if "data_use" in opted_out:  # a standing choice covers every later conversation
                conv.data_use_opt_out = True
            if state in ("waiting", "advisor"):
                # A person has (or will have) this conversation: the assistant stays out of it.
                ticket = self._open_ticket(s, conv.id)
                return RouteResult(conv.id, channel, state, ticket_id=ticket.id if ticket else None,
                                   queue=self._status(s, ticket))
            if "automated_assistant" in opted_out:
                result = self._handoff(s, conv, "opt_out", TEXT_OPTED_OUT, {})
                return result
            metadata = {"channel": channel, "subject": conv.subject,
                        "opted_out": sorted(opted_out)}

        # Outside any transaction: never hold a database lock while Rasa thinks.
        try:
            turn = self.rasa.send(channel, conversation_id, clean, metadata)
        except AssistantUnavailable as exc:
            log.warning("assistant unavailable for a %s conversation: %s", channel, exc)
            with self.db.session() as s:
                conv = self._get(s, conversation_id)
                result = self._handoff(s, conv, "system_failure", TEXT_FAILURE,
                                       {"note": "The assistant failed while answering."})
                result.assistant_failed = True
                return result

        parsed = parse_bot_messages(turn.messages)
        if not (parsed.replies or parsed.handoff or parsed.choices or parsed.wants_choices_report
                or parsed.unanswered):
            # Rasa answers 200 with no messages when the action server behind it is down:
            # saying nothing is a failure too, so the resident goes to a person.
            log.warning("assistant said nothing for a %s conversation", channel)
            with self.db.session() as s:
                conv = self._get(s, conversation_id)
                result = self._handoff(s, conv, "system_failure", TEXT_FAILURE,
                                       {"note": "The assistant gave no answer."})
                result.assistant_failed = True
                return result
        with self.db.session() as s:
            conv = self._get(s, conversation_id)
            s.execute(update(Message).where(Message.id == resident_msg_id)
                      .values(intent=turn.intent, confidence=turn.confidence))
            result = RouteResult(conv.id, conv.channel, conv.state, intent=turn.intent,
                                 confidence=turn.confidence)
            for reply in parsed.replies:
                s.add(Message(conversation_id=conv.id, sender="bot", text=reply.text,
                              buttons=reply.buttons or None))
                result.replies.append(reply)
            if parsed.replies:
                conv.last_bot_text = " ".join(r.text for r in parsed.replies)
            for choice in parsed.choices:
                self._record_choice(s, conv, choice, method, clean)
                result.recorded_choices.append(choice)
            if parsed.wants_choices_report:
                text = optout.describe_choices(optout.current_choices(s, self._subjects(conv)))
                s.add(Message(conversation_id=conv.id, sender="bot", text=text))
                result.replies.append(Reply(text))
            if parsed.handoff:
                summary = dict(parsed.handoff.summary)
                summary.setdefault("slots", turn.slots)
                summary.setdefault("entities", turn.entities)
                handoff = self._handoff(s, conv, parsed.handoff.reason, None, summary,
                                        priority=parsed.handoff.priority)
                result.state, result.ticket_id = handoff.state, handoff.ticket_id
                result.queue, result.handoff_reason = handoff.queue, handoff.reason_text
                result.replies.extend(handoff.replies)
            self._catalogue_signals(s, conv, parsed, clean, result)
            return result

    # --- the service catalogue's signals (bot/actions/catalogue.py) ------------------------------

    def _catalogue_signals(self, s: Session, conv: Conversation, parsed: ParsedReplies,
                           clean: str, result: RouteResult) -> None:
        """File a handoff under the catalogue team, log an unanswered question, text a link."""
        team = (parsed.handoff.summary.get("team") if parsed.handoff else None)
        if isinstance(team, str) and team and result.ticket_id is not None:
            ticket = s.get(HandoffTicket, result.ticket_id)
            if ticket is not None and ticket.team is None:
                ticket.team = team[:64]
        if parsed.unanswered and not conv.data_use_opt_out:
            # `clean` is the redacted message: nothing personal reaches the content team.
            s.add(UnansweredQuestion(conversation_id=conv.id, channel=conv.channel, text=clean,
                                     likely_team=parsed.unanswered.team,
                                     candidates=parsed.unanswered.candidates))
        if parsed.send_link:
            text = self._send_link(s, conv, parsed.send_link)
            if text:
                s.add(Message(conversation_id=conv.id, sender="system", text=text))
                result.replies.append(Reply(text))

    def _send_link(self, s: Session, conv: Conversation, link: SendLinkSignal) -> str | None:
        """Text the page to the caller. Returns what to tell them if it could not be sent."""
        cannot = "Sorry, I can't send a text to this phone. You can find it on our website."
        if conv.channel != "phone" or not conv.address:
            return cannot
        if "sms" in optout.current_choices(s, self._subjects(conv)):
            return "You told us you do not want texts from us, so I have not sent one."
        from flask import current_app, has_app_context

        client = current_app.extensions.get("twilio") if has_app_context() else None
        if client is None:
            return cannot
        try:
            client.messages.create(
                to=conv.address, from_=self.settings.twilio_phone_number,
                body=f"{self.settings.council_name}: {link.title}. {link.url}",
            )
        except Exception as exc:  # noqa: BLE001 - any Twilio or network failure
            log.warning("link SMS to caller failed: %s", type(exc).__name__)
            return "Sorry, I could not send the text just now. You can find it on our website."
        s.add(Message(conversation_id=conv.id, sender="system",
                      text=f"Texted the link for {link.title} to the caller."))
        return None

    # --- explicit actions from channels (keypad 0/9, buttons, STOP) --------------------------

    def request_handoff(self, conversation_id: str, reason: str = "requested",
                        note: str | None = None) -> RouteResult:
        with self.db.session() as s:
            conv = self._get(s, conversation_id)
            if conv.state in ("waiting", "advisor"):
                ticket = self._open_ticket(s, conv.id)
                return RouteResult(conv.id, conv.channel, conv.state,
                                   ticket_id=ticket.id if ticket else None,
                                   queue=self._status(s, ticket))
            return self._handoff(s, conv, reason, None, {"note": note} if note else {})

    def record_choice(self, conversation_id: str, scope: str, action: str, method: str,
                      utterance: str | None = None) -> None:
        with self.db.session() as s:
            conv = self._get(s, conversation_id)
            clean = redact(utterance, self.settings.redact_kinds) if utterance else None
            self._record_choice(s, conv, ChoiceSignal(scope, action, clean), method, clean)

    def choices(self, conversation_id: str) -> set[str]:
        with self.db.session() as s:
            conv = self._get(s, conversation_id)
            return optout.current_choices(s, self._subjects(conv))

    def system_message(self, conversation_id: str, text: str) -> None:
        with self.db.session() as s:
            self._get(s, conversation_id)
            s.add(Message(conversation_id=conversation_id, sender="system", text=text))

    def note_bot_text(self, conversation_id: str, text: str) -> None:
        """Channels that speak their own prompts (the phone greeting) store them here."""
        with self.db.session() as s:
            conv = self._get(s, conversation_id)
            s.add(Message(conversation_id=conv.id, sender="bot", text=text))
            conv.last_bot_text = text

    def update_prefs(self, conversation_id: str, **changes: Any) -> dict[str, Any]:
        with self.db.session() as s:
            conv = self._get(s, conversation_id)
            prefs = dict(conv.prefs or {})
            prefs.update(changes)
            conv.prefs = prefs
            return prefs

    def request_callback(
        self, conversation_id: str, *, phone: str | None, preferred_time: str | None,
        notes: str | None = None, recording_url: str | None = None,
    ) -> int:
        with self.db.session() as s:
            conv = self._get(s, conversation_id)
            ticket = self._open_ticket(s, conv.id)
            callback = CallbackRequest(
                conversation_id=conv.id,
                ticket_id=ticket.id if ticket else None,
                phone=optout.normalise_address(phone) if phone else None,
                preferred_time=redact((preferred_time or "")[:120],
                                      self.settings.redact_kinds) or None,
                notes=redact(notes, self.settings.redact_kinds) if notes else None,
                recording_url=recording_url,
            )
            s.add(callback)
            s.add(Message(conversation_id=conv.id, sender="system",
                          text="You asked us to call you back. An advisor will call you."))
            s.flush()
            return callback.id

    def rate(self, conversation_id: str, score: int) -> None:
        if not isinstance(score, int) or not 1 <= score <= 5:
            raise InvalidMessage("Choose a rating from 1 to 5")
        with self.db.session() as s:
            conv = self._get(s, conversation_id)
            conv.satisfaction, conv.satisfaction_at = score, utcnow()

    # --- reads ---------------------------------------------------------------------------------

    def snapshot(self, conversation_id: str, after_id: int = 0) -> dict[str, Any]:
        """State, queue status and messages (optionally only those after `after_id`)."""
        with self.db.session() as s:
            conv = self._get(s, conversation_id)
            rows = s.scalars(
                select(Message)
                .where(Message.conversation_id == conv.id, Message.id > after_id)
                .order_by(Message.id)
            )
            messages = [
                MessageView(m.id, m.sender, m.text, m.buttons or [], m.sent_at.isoformat() + "Z")
                for m in rows
            ]
            ticket = self._open_ticket(s, conv.id)
            return {
                "conversation_id": conv.id,
                "channel": conv.channel,
                "state": conv.state,
                "messages": messages,
                "queue": self._status(s, ticket) if conv.state == "waiting" else None,
                "satisfaction": conv.satisfaction,
                "prefs": dict(conv.prefs or {}),
                "last_bot_text": conv.last_bot_text,
                "address": conv.address,
            }

    def exists(self, conversation_id: str) -> bool:
        with self.db.session() as s:
            return s.get(Conversation, conversation_id) is not None

    # --- internals -----------------------------------------------------------------------------

    def _get(self, s: Session, conversation_id: str) -> Conversation:
        conv = s.get(Conversation, conversation_id)
        if conv is None:
            raise ConversationNotFound(conversation_id)
        return conv

    @staticmethod
    def _subjects(conv: Conversation) -> list[str | None]:
        return [conv.subject, (conv.prefs or {}).get("identified_subject")]

    @staticmethod
    def _open_ticket(s: Session, conversation_id: str) -> HandoffTicket | None:
        return s.scalar(
            select(HandoffTicket)
            .where(HandoffTicket.conversation_id == conversation_id,
                   HandoffTicket.status != "closed")
            .order_by(HandoffTicket.id.desc())
            .limit(1)
        )

    def _status(self, s: Session, ticket: HandoffTicket | None) -> QueueStatus:
        return queue_status(s, ticket, self.hours, self.settings.advisor_handle_minutes)

    def _record_choice(self, s: Session, conv: Conversation, choice: ChoiceSignal,
                       method: str, utterance: str | None) -> None:
        subject = (conv.prefs or {}).get("identified_subject") or conv.subject
        if subject is None:
            # No session or number: the conversation is its own subject (and must stay one).
            subject = conv.subject = self.subject_for(session_key=conv.id)
        optout.record(
            s,
            subject=subject,
            scope=choice.scope,
            action=choice.action,
            channel=conv.channel,
            method=method,
            notice_version=self.settings.data_notice_version,
            conversation_id=conv.id,
            utterance=choice.utterance or utterance,
            redact_kinds=self.settings.redact_kinds,
        )
        if choice.scope == "data_use":
            conv.data_use_opt_out = choice.action == "opt_out"

    def _summary(self, s: Session, conv: Conversation, extra: dict[str, Any]) -> dict[str, Any]:
        said = list(s.scalars(
            select(Message.text)
            .where(Message.conversation_id == conv.id, Message.sender == "resident")
            .order_by(Message.id.desc()).limit(6)
        ))[::-1]
        intents = [i for i in s.scalars(
            select(Message.intent).where(Message.conversation_id == conv.id,
                                         Message.intent.is_not(None)).order_by(Message.id)
        )]
        summary = {"said": said, "intents": list(dict.fromkeys(intents)), "channel": conv.channel}
        summary.update({k: v for k, v in extra.items() if v not in (None, {}, [])})
        return summary

    def _handoff(self, s: Session, conv: Conversation, reason: str, preface: str | None,
                 extra: dict[str, Any], priority: int | None = None) -> _HandoffResult:
        ticket = self._open_ticket(s, conv.id)
        if ticket is None:
            ticket = HandoffTicket(
                conversation_id=conv.id,
                reason=reason,
                priority=priority or REASON_PRIORITY.get(reason, 3),
                summary=redact_data(self._summary(s, conv, extra), self.settings.redact_kinds),
                status="queued",
            )
            s.add(ticket)
            s.flush()
        conv.state = "waiting"
        status = self._status(s, ticket)
        replies = []
        if preface:
            replies.append(Reply(preface))
        replies.append(Reply(handoff_notice(status, self.hours)))
        for reply in replies:
            s.add(Message(conversation_id=conv.id, sender="system", text=reply.text))
        conv.last_bot_text = " ".join(r.text for r in replies)
        return _HandoffResult(conv.id, conv.channel, "waiting", replies=replies,
                              handoff_reason=reason, ticket_id=ticket.id, queue=status,
                              reason_text=reason)


@dataclass
class _HandoffResult(RouteResult):
    reason_text: str | None = None
