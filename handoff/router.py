"""The one conversation router. Every channel hands each resident message to `handle()`.

It decides where a message goes (the assistant, an advisor, or straight to people for an
opted-out resident), calls Rasa over HTTP through the channel's named input channel, and acts
on the signals that come back (handoff, opt-out). State moves go through handoff/state.py,
turn-taking (failed turns -> a person) through handoff/turns.py. Channels keep no state of
their own: they get typed results and snapshots, and word handovers themselves
(handoff/notices.py for text, channels/phone_prompts.py for the phone).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from core.identity import normalise_address
from core.settings import ConfigError
from core.vocabulary import ConversationState
from handoff import abandonment, choice_rules, scores, turns, verification
from handoff import state as machine
from handoff.availability import OpeningHours, QueueStatus, queue_status
from handoff.notices import (  # noqa: F401 - TEXT_* and handoff_notice re-exported
    TEXT_FAILURE,
    TEXT_NOT_UNDERSTOOD,
    TEXT_OPTED_OUT,
    Handover,
    HandoverCause,
    choice_noted,
    handoff_notice,
    text_notices,
)
from handoff.rasa_client import AssistantUnavailable, RasaClient
from handoff.results import ConversationSnapshot, MessageView, RouteResult
from handoff.signals import (
    REASON_PRIORITY,
    ChoiceSignal,
    ParsedReplies,
    Reply,
    SendLinkSignal,
    as_plain_text,
    is_payload,
    parse_bot_messages,
)
from privacy import register as optout
from privacy.redaction import redact, redact_data
from services import contact_details
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
ENDED_BY_RESIDENT = "The resident ended the chat on their device."
CALL_ENDED = "Call ended."
CALL_ENDED_WAITING = "Call ended while the caller was waiting for an advisor."
SEEN_EVERY = timedelta(seconds=15)


class InvalidMessage(ValueError):
    """Empty, oversized or otherwise unusable resident input."""


class ConversationRouter:
    def __init__(self, db: Database, rasa: RasaClient | Any, settings: Any) -> None:
        self.db = db
        self.rasa = rasa
        self.settings = settings
        try:
            self.hours = OpeningHours.parse(settings.opening_hours, settings.timezone)
        except ValueError as exc:  # at start-up, with the reason, not at a resident's first message
            raise ConfigError(f"OPENING_HOURS: {exc}") from exc
        self._next_sweep = 0.0  # monotonic time of the next abandoned-conversation sweep

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
            conv = machine.new(Conversation(
                channel=channel,
                subject=self.subject_for(address=address, session_key=session_key),
                address=normalise_address(address) if address else None,
                call_sid=call_sid,
            ))
            s.add(conv)
            s.flush()
            return conv.id

    def find_by_call(self, call_sid: str) -> str | None:
        with self.db.session() as s:
            return s.scalar(select(Conversation.id).where(Conversation.call_sid == call_sid))

    def sms_thread(self, address: str) -> str:
        """The resident's open SMS conversation from the last day, or a new one."""
        number = normalise_address(address)
        with self.db.session() as s:
            conv_id = s.scalar(
                select(Conversation.id)
                .where(
                    Conversation.channel == "sms",
                    Conversation.address == number,
                    Conversation.state != ConversationState.CLOSED.value,
                    Conversation.updated_at >= utcnow() - SMS_THREAD_WINDOW,
                )
                .order_by(Conversation.updated_at.desc())
                .limit(1)
            )
        return conv_id or self.start("sms", address=number)

    def identify(self, conversation_id: str, address: str) -> None:
        """Link a conversation to a phone number or email the resident has PROVED is theirs
        (web chat: `verify_number`): that identity's recorded choices then apply here too.
        Never call it with a number or email that was only typed in."""
        with self.db.session() as s:
            self._identify(s, self._get(s, conversation_id), address)

    def send_verification_code(self, conversation_id: str,
                               send_sms: Callable[[str, str], None]) -> None:
        """Text a one-time code to the number this web resident asked us to call back on.
        Raises VerificationError (plain English) if there is none, too many were sent lately,
        or the text failed."""
        with self.db.session() as s:
            conv = self._get(s, conversation_id)
            number = s.scalar(select(CallbackRequest.phone)
                              .where(CallbackRequest.conversation_id == conv.id,
                                     CallbackRequest.phone.is_not(None))
                              .order_by(CallbackRequest.id.desc()).limit(1))
            if not number:
                raise verification.VerificationError(verification.NO_NUMBER)
            verification.send_code(s, conversation_id=conv.id, address=number,
                                   key=self.settings.optout_hmac_key,
                                   council=self.settings.council_name, send_sms=send_sms)

    def verify_number(self, conversation_id: str, code: str) -> None:
        """The resident typed back the code: the number becomes this conversation's identity.
        Raises VerificationError if the code is wrong, used up or out of date."""
        with self.db.session() as s:
            conv = self._get(s, conversation_id)
            number, problem = verification.check_code(s, conversation_id=conv.id, code=code,
                                                      key=self.settings.optout_hmac_key)
            if number:
                self._identify(s, conv, number)
        if problem:  # raised after the commit, so the wrong attempt still counts
            raise verification.VerificationError(problem)

    def number_verification(self, conversation_id: str) -> verification.VerificationStatus:
        with self.db.session() as s:
            return verification.status(s, self._get(s, conversation_id).id)

    # --- the main path ----------------------------------------------------------------------

    def handle(self, conversation_id: str, text: str, *, method: str = "text") -> RouteResult:
        """One resident message. `method` is the route it came by ("text", "speech", or
        "button" for a form's button field); it is what the opt-out register records, except
        that only a payload the assistant offered in its last turn counts as a button."""
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
            pressed = is_payload(text) and text in (conv.offered_payloads or ())
            method = "button" if pressed else ("text" if method == "button" else method)
            # An address the bot asked for is kept here and never sent to Rasa, even spoken.
            clean = contact_details.remember(conv, text) or clean
            # Anything else that looks like "/intent{...}" is words, never Rasa's intent syntax.
            to_assistant = clean if pressed or not is_payload(clean) else as_plain_text(clean)
            if not to_assistant:
                raise InvalidMessage("Enter a message")
            if machine.state_of(conv.state) in (ConversationState.CLOSED,
                                                ConversationState.ABANDONED):
                machine.transition(conv, ConversationState.BOT)  # they wrote again
            conv.last_seen_at = utcnow()  # they are here (abandonment.py)
            resident_msg = Message(conversation_id=conv.id, sender="resident", text=clean)
            s.add(resident_msg)
            s.flush()
            resident_msg_id = resident_msg.id
            channel = conv.channel
            opted_out = optout.current_choices(s, self._subjects(conv))
            if "data_use" in opted_out:  # a standing choice covers every later conversation
                conv.data_use_opt_out = True
            # Opt-outs in words are recorded here, whatever the state and whether or not the
            # assistant is up; the assistant's own signal for the same choice is not repeated.
            said_choices = [] if pressed else choice_rules.detect(to_assistant)
            for choice in said_choices:
                self._record_choice(s, conv, choice, method, clean)
            if machine.is_with_people(conv):
                # A person has (or will have) this conversation: the assistant stays out of it.
                result = self._with_people(s, conv)
                result.recorded_choices = said_choices
                result.notices = self._note_choices(s, conv, said_choices)
                return result
            if "automated_assistant" in opted_out:
                return self._handoff(s, conv, "opt_out", HandoverCause.OPTED_OUT, {})
            metadata = {"channel": channel, "subject": conv.subject,
                        "opted_out": sorted(opted_out)}

        # Outside any transaction: never hold a database lock while Rasa thinks.
        try:
            turn = self.rasa.send(channel, conversation_id, to_assistant, metadata)
        except AssistantUnavailable as exc:
            log.warning("assistant unavailable for a %s conversation: %s", channel, exc)
            return self._assistant_failed(conversation_id, "The assistant failed while answering.",
                                          said_choices)

        parsed = parse_bot_messages(turn.messages)
        if not (parsed.replies or parsed.handoff or parsed.choices or parsed.wants_choices_report
                or parsed.unanswered):
            # Rasa answers 200 with no messages when the action server behind it is down:
            # saying nothing is a failure too, so the resident goes to a person.
            log.warning("assistant said nothing for a %s conversation", channel)
            return self._assistant_failed(conversation_id, "The assistant gave no answer.",
                                          said_choices)
        with self.db.session() as s:
            conv = self._get(s, conversation_id)
            s.execute(update(Message).where(Message.id == resident_msg_id)
                      .values(intent=turn.intent, confidence=turn.confidence))
            result = RouteResult(conv.id, conv.channel, machine.state_of(conv.state),
                                 intent=turn.intent, confidence=turn.confidence)
            replies = list(parsed.replies)
            result.recorded_choices.extend(said_choices)
            already = {(c.scope, c.action) for c in said_choices}
            if parsed.collect:
                contact_details.expect(conv, parsed.collect)
            for choice in parsed.choices:
                if (choice.scope, choice.action) not in already:
                    self._record_choice(s, conv, choice, method, clean)
                    result.recorded_choices.append(choice)
            if parsed.wants_choices_report:
                replies.append(Reply(optout.describe_choices(
                    optout.current_choices(s, self._subjects(conv)))))
            self._say(s, conv, replies)
            result.assistant = replies
            if parsed.handoff:
                summary = dict(parsed.handoff.summary)
                summary.setdefault("slots", turn.slots)
                summary.setdefault("entities", turn.entities)
                handed = self._handoff(s, conv, parsed.handoff.reason, HandoverCause.ASSISTANT,
                                       summary, priority=parsed.handoff.priority)
                result = self._merge(result, handed)
                self._catalogue_signals(s, conv, parsed, clean, result)
                return result
            self._catalogue_signals(s, conv, parsed, clean, result)
            decision = turns.decide(conv.failed_turns or 0, turns.outcome_of(turn.intent))
            conv.failed_turns = decision.failed_turns
            if decision.offer_person:
                handed = self._handoff(s, conv, "not_understood", HandoverCause.NOT_UNDERSTOOD,
                                       {"note": turns.HANDOFF_NOTE})
                return self._merge(result, handed)
            return result

    def missed_turn(self, conversation_id: str, outcome: turns.TurnOutcome) -> RouteResult:
        """A turn that never reached the assistant failed (phone silence, too much at once).

        Counts towards turn-taking like a turn the assistant did not understand."""
        with self.db.session() as s:
            conv = self._get(s, conversation_id)
            if machine.is_with_people(conv):
                return self._with_people(s, conv)
            decision = turns.decide(conv.failed_turns or 0, outcome)
            conv.failed_turns = decision.failed_turns
            if decision.offer_person:
                return self._handoff(s, conv, "not_understood", HandoverCause.NOT_UNDERSTOOD,
                                     {"note": turns.HANDOFF_NOTE})
            return RouteResult(conv.id, conv.channel, machine.state_of(conv.state))

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
                result.assistant.append(Reply(text))  # every channel says it, the phone too

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
            if machine.is_with_people(conv):
                return self._with_people(s, conv)
            # The channel asked (keypad 0 or 9, a button, PERSON) and says so in its own words.
            return self._handoff(s, conv, reason, HandoverCause.REQUESTED,
                                 {"note": note} if note else {})

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

    def end_chat(self, conversation_id: str) -> None:
        """The web resident pressed "End chat": their browser forgets the conversation, so it
        is abandoned unless an advisor is talking with them (the advisor closes it)."""
        with self.db.session() as s:
            conv = self._get(s, conversation_id)
            if not self._abandon(s, conv, ENDED_BY_RESIDENT):
                s.add(Message(conversation_id=conv.id, sender="system", text=ENDED_BY_RESIDENT))

    def call_ended(self, conversation_id: str) -> None:
        """Twilio says the call is over: in the queue or mid-flow (abandonment.mid_task), the
        caller has left; after an answer, the call simply ended."""
        with self.db.session() as s:
            conv = self._get(s, conversation_id)
            waiting = machine.state_of(conv.state) == ConversationState.WAITING
            text = CALL_ENDED_WAITING if waiting else CALL_ENDED
            last = s.execute(select(Message.sender, Message.text)
                             .where(Message.conversation_id == conv.id)
                             .order_by(Message.id.desc()).limit(1)).first()
            left = waiting or abandonment.mid_task(last[0] if last else None,
                                                   last[1] if last else None,
                                                   conv.failed_turns or 0)
            if not (left and self._abandon(s, conv, text)):
                s.add(Message(conversation_id=conv.id, sender="system", text=text))

    def sweep_abandoned(self, now: datetime | None = None) -> int:
        """Mark the conversations whose resident has left (handoff/abandonment.py) as
        abandoned and take them out of the queue. Returns how many."""
        now = now or utcnow()
        count = 0
        with self.db.session() as s:
            for left in abandonment.find(s, self.settings, now):
                conv = s.get(Conversation, left.conversation_id)
                count += bool(conv and self._abandon(s, conv, left.note))
        return count

    def _sweep_if_due(self) -> None:
        """Run the sweep at most every 30 seconds per process, on the back of channel traffic
        (web polls every second while anyone waits), so no scheduler is needed."""
        if time.monotonic() < self._next_sweep:
            return
        self._next_sweep = time.monotonic() + abandonment.SWEEP_EVERY.total_seconds()
        try:
            self.sweep_abandoned()
        except Exception:  # noqa: BLE001 - housekeeping must never break a resident's request
            log.exception("abandoned-conversation sweep failed")

    def note_bot_text(self, conversation_id: str, text: str) -> None:
        """Channels that speak their own prompts (the phone greeting) store them here."""
        with self.db.session() as s:
            conv = self._get(s, conversation_id)
            self._say(s, conv, [Reply(text)])

    def remember(self, conversation_id: str, *, slow_speech: bool | None = None,
                 last_prompt: str | None = None, sms_intro_sent: bool | None = None) -> None:
        """A channel's own per-conversation settings (typed columns, not a bag)."""
        with self.db.session() as s:
            conv = self._get(s, conversation_id)
            if slow_speech is not None:
                conv.slow_speech = slow_speech
            if last_prompt is not None:
                conv.last_prompt = last_prompt
            if sms_intro_sent is not None:
                conv.sms_intro_sent = sms_intro_sent

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
                phone=normalise_address(phone) if phone else None,
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

    def sms_score(self, address: str, text: str) -> int | None:
        """A text answering the "reply with a score" question an advisor's close sent: recorded
        on that closed conversation and returned. None: an ordinary message (handoff/scores.py)."""
        score = scores.parse_score(text)
        if score is None:
            return None
        with self.db.session() as s:
            conv = scores.awaiting_sms_score(s, optout.normalise_address(address), utcnow())
            if conv is None:
                return None
            conv.satisfaction, conv.satisfaction_at = score, utcnow()
            return score

    def ask_for_score(self, conversation_id: str) -> bool:
        """The phone may ask this caller for a keypad score now (once per call, only when the
        assistant handled it alone); True means it is asked and noted."""
        with self.db.session() as s:
            conv = self._get(s, conversation_id)
            if not scores.phone_may_ask(s, conv):
                return False
            conv.satisfaction_asked_at = utcnow()
            s.add(Message(conversation_id=conv.id, sender="system", text=scores.PHONE_ASKED))
            return True

    # --- reads ---------------------------------------------------------------------------------

    def snapshot(self, conversation_id: str, after_id: int = 0, *,
                 with_messages: bool = True, seen: str | None = None) -> ConversationSnapshot:
        """State, queue status, channel settings and (unless `with_messages=False`) the
        messages after `after_id`. The phone skips the transcript: it grows every turn.
        `seen` ("page" or "poll") records that the resident's browser is still there."""
        if seen:
            self._sweep_if_due()
        with self.db.session() as s:
            conv = self._get(s, conversation_id)
            if seen:
                self._seen(conv, polling=seen == "poll")
            messages: tuple[MessageView, ...] = ()
            if with_messages:
                rows = s.scalars(
                    select(Message)
                    .where(Message.conversation_id == conv.id, Message.id > after_id)
                    .order_by(Message.id)
                )
                messages = tuple(
                    MessageView(m.id, m.sender, m.text, m.buttons or [],
                                m.sent_at.isoformat() + "Z")
                    for m in rows
                )
            current = machine.state_of(conv.state)
            queue = None
            if current == ConversationState.WAITING:
                queue = self._status(s, self._open_ticket(s, conv.id))
            return ConversationSnapshot(
                conversation_id=conv.id,
                channel=conv.channel,
                state=current,
                queue=queue,
                satisfaction=conv.satisfaction,
                address=conv.address,
                last_bot_text=conv.last_bot_text,
                failed_turns=conv.failed_turns or 0,
                offered_payloads=tuple(conv.offered_payloads or ()),
                slow_speech=bool(conv.slow_speech),
                last_prompt=conv.last_prompt,
                sms_intro_sent=bool(conv.sms_intro_sent),
                satisfaction_asked=conv.satisfaction_asked_at is not None,
                callback_requested=bool(s.scalar(select(exists().where(
                    CallbackRequest.conversation_id == conv.id)))),
                messages=messages,
            )

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
    def _seen(conv: Conversation, *, polling: bool) -> None:
        now = utcnow()
        # At most one write every 15 seconds per conversation, though browsers poll each second.
        if conv.last_seen_at is None or now - conv.last_seen_at >= SEEN_EVERY or (
                polling and not conv.polls):
            conv.last_seen_at = now
            conv.polls = bool(conv.polls or polling)

    def _abandon(self, s: Session, conv: Conversation, note: str) -> bool:
        """The resident has left: out of the queue (ticket closed "abandoned"), callbacks kept.
        Returns False if the conversation is with an advisor, closed or already abandoned."""
        if not machine.can(conv.state, ConversationState.ABANDONED) or \
                machine.state_of(conv.state) == ConversationState.ABANDONED:
            return False
        ticket = self._open_ticket(s, conv.id)
        if ticket is not None and ticket.status == "queued":
            ticket.status, ticket.closed_at, ticket.outcome = "closed", utcnow(), "abandoned"
        machine.transition(conv, ConversationState.ABANDONED)
        conv.offered_payloads = []
        s.add(Message(conversation_id=conv.id, sender="system", text=note))
        return True

    def _identify(self, s: Session, conv: Conversation, address: str) -> None:
        conv.identified_subject = self.subject_for(address=address)
        # Choices made before they identified themselves follow them to that identity.
        optout.carry_over(
            s, from_subjects=[conv.subject], to_subject=conv.identified_subject,
            channel=conv.channel, notice_version=self.settings.data_notice_version,
            conversation_id=conv.id,
        )

    @staticmethod
    def _subjects(conv: Conversation) -> list[str | None]:
        return [conv.subject, conv.identified_subject]

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

    def _with_people(self, s: Session, conv: Conversation) -> RouteResult:
        """The conversation is already with people: nothing new happens, here is the queue."""
        ticket = self._open_ticket(s, conv.id)
        return RouteResult(conv.id, conv.channel, machine.state_of(conv.state),
                           ticket_id=ticket.id if ticket else None, queue=self._status(s, ticket))

    @staticmethod
    def _say(s: Session, conv: Conversation, replies: list[Reply]) -> None:
        """Store the assistant's turn; its buttons are the only payloads accepted next."""
        for reply in replies:
            s.add(Message(conversation_id=conv.id, sender="bot", text=reply.text,
                          buttons=reply.buttons or None))
        if replies:
            conv.last_bot_text = " ".join(r.text for r in replies)
            conv.offered_payloads = [b["payload"] for r in replies for b in r.buttons or []]

    def _assistant_failed(self, conversation_id: str, note: str,
                          recorded: list[ChoiceSignal]) -> RouteResult:
        with self.db.session() as s:
            conv = self._get(s, conversation_id)
            result = self._handoff(s, conv, "system_failure", HandoverCause.ASSISTANT_FAILED,
                                   {"note": note})
            result.recorded_choices = list(recorded)
            return result

    @staticmethod
    def _note_choices(s: Session, conv: Conversation,
                      choices: list[ChoiceSignal]) -> list[Reply]:
        """Tell the resident (and the advisor, in the transcript) that a choice was noted."""
        notes = [Reply(choice_noted(c.scope)) for c in choices]
        for note in notes:
            s.add(Message(conversation_id=conv.id, sender="system", text=note.text))
        return notes

    @staticmethod
    def _merge(result: RouteResult, handed: RouteResult) -> RouteResult:
        """The assistant's turn followed by a handover."""
        return replace(handed, assistant=result.assistant, intent=result.intent,
                       confidence=result.confidence, recorded_choices=result.recorded_choices)

    def _record_choice(self, s: Session, conv: Conversation, choice: ChoiceSignal,
                       method: str, utterance: str | None) -> None:
        subject = conv.identified_subject or conv.subject
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

    def _handoff(self, s: Session, conv: Conversation, reason: str, cause: HandoverCause,
                 extra: dict[str, Any], priority: int | None = None) -> RouteResult:
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
        machine.transition(conv, ConversationState.WAITING)
        conv.failed_turns = 0  # the count starts again if they come back to the assistant
        conv.offered_payloads = []  # the assistant's buttons no longer apply
        status = self._status(s, ticket)
        handover = Handover(reason=reason, cause=cause, ticket_id=ticket.id, queue=status)
        notices = [Reply(text) for text in text_notices(handover, self.hours)]
        for reply in notices:
            s.add(Message(conversation_id=conv.id, sender="system", text=reply.text))
        conv.last_bot_text = " ".join(r.text for r in notices)
        return RouteResult(conv.id, conv.channel, ConversationState.WAITING, handover=handover,
                           notices=notices, ticket_id=ticket.id, queue=status)
