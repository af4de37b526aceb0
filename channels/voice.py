"""The phone line: Twilio Voice webhooks.

POST /voice/incoming    a new call: greeting, data notice, controls, then listen
POST /voice/respond     each <Gather> result (SpeechResult, Confidence, Digits)
POST /voice/wait        the queue's wait URL: place in the queue, press 1 for a callback
POST /voice/callback    the answer to a callback / voicemail offer (?from=offer|queue)
POST /voice/voicemail   the <Record> action
POST /voice/queue-exit  the <Enqueue> action (how the caller left the queue)
POST /voice/status      call status callbacks
POST /voice/score       the keypad score (1 to 5) asked once at the end of a call the
                        assistant handled alone (handoff/scores.py)

Every request is signed by Twilio (channels.twilio_auth). Every answer is valid TwiML with
status 200, even when something breaks: the caller then hears an apology and is put through
to the council's own line. The channel keeps no state and no dialogue policy: the router owns
the conversation state and turn-taking (handoff/turns.py: two failed turns -> a person). This
module keeps what is truly about the phone: keypad controls, speech settings and TwiML.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import wraps
from typing import Any
from urllib.parse import urlparse

from flask import Blueprint, Response, current_app, request

from channels import phone_prompts as P
from channels import twiml
from channels.twilio_auth import twilio_signed
from channels.twiml import caller_number, last_four
from core.extensions import csrf
from core.identity import normalise_address
from core.vocabulary import ConversationState
from handoff.notices import HandoverCause
from handoff.router import ConversationRouter, ConversationSnapshot, InvalidMessage, RouteResult
from handoff.turns import TurnOutcome, outcome_of

log = logging.getLogger(__name__)

bp = Blueprint("voice", __name__, url_prefix="/voice")
csrf.exempt(bp)  # Twilio cannot send a CSRF token; the request signature protects these routes.

DEFAULT_QUEUE = "advisors"
NO_RECORDING = {"call_recording", "data_use"}
ENDED = {"completed", "busy", "failed", "no-answer", "canceled"}
_CALL_SID = re.compile(r"^[A-Za-z0-9]{2,64}$")
_KEYS = set("0123456789*#")
SCORE_KEYS = set("12345")
GOODBYE_INTENT = "goodbye"  # the caller is done (bot/domain.yml)
# Recorded in the conversation (system notes), so the record shows which notice applied.
NOTICE_RECORD = "Privacy notice {} applies to this call."
NOTICE_HEARD = "The caller pressed 8 and heard how we use their information (notice {})."


# --- pure parsing of Twilio's parameters ------------------------------------------------------


@dataclass(frozen=True)
class GatherInput:
    speech: str
    digits: str          # "" for none, one key, or "?" for anything unusable
    confidence: float | None


def parse_call_sid(form: Mapping[str, str]) -> str | None:
    sid = (form.get("CallSid") or "").strip()
    return sid if _CALL_SID.match(sid) else None


def parse_gather(form: Mapping[str, str]) -> GatherInput:
    speech = " ".join((form.get("SpeechResult") or "").split())
    raw = (form.get("Digits") or "").strip()
    digits = raw[:1] if raw and raw[0] in _KEYS else ("?" if raw else "")
    try:
        confidence = float(form.get("Confidence") or "")
    except ValueError:
        confidence = None
    return GatherInput(speech, digits, confidence)


def parse_count(value: str | None) -> int | None:
    try:
        position = int(value or "")
    except ValueError:
        return None
    return position if 0 < position < 10_000 else None


def twilio_recording_url(value: str | None) -> str | None:
    """Only keep recording links that point at Twilio over HTTPS."""
    if not value or len(value) > 500:
        return None
    url = urlparse(value)
    host = (url.hostname or "").lower()
    if url.scheme != "https" or not (host == "twilio.com" or host.endswith(".twilio.com")):
        return None
    return value


# --- the call flow ------------------------------------------------------------------------------


Call = ConversationSnapshot  # one request's view of the call, read once from the router

# What the caller hears when the router hands over for a reason the phone words itself.
HANDOVER_PREFACE = {
    HandoverCause.ASSISTANT_FAILED: P.ASSISTANT_FAILED,
    HandoverCause.NOT_UNDERSTOOD: P.NOT_UNDERSTOOD,
    HandoverCause.OPTED_OUT: P.OPTED_OUT_BEFORE,
}


class VoiceFlow:
    def __init__(self, router: ConversationRouter, config: Mapping[str, Any]) -> None:
        self.router = router
        self.config = config
        self.urls = twiml.Urls(config["PUBLIC_BASE_URL"])
        self.queue_name = config.get("TWILIO_QUEUE") or DEFAULT_QUEUE

    # helpers
    def voice(self, call: Call | None = None) -> twiml.Voice:
        return twiml.Voice(self.config["TWILIO_VOICE"], slow=bool(call and call.slow_speech))

    def load(self, conversation_id: str) -> Call:
        return self.router.snapshot(conversation_id, with_messages=False)

    def conversation(self, call_sid: str, from_: str | None) -> str:
        return self.router.find_by_call(call_sid) or self.router.start(
            "phone", address=caller_number(from_), call_sid=call_sid)

    def last_prompt(self, call: Call) -> str:
        return call.last_prompt or call.last_bot_text or P.HOW_CAN_I_HELP

    def handover(self, call: Call, voice: twiml.Voice, preface: list[str], queue: Any,
                 choices: set[str] | None = None) -> str:
        if choices is None:
            choices = self.router.choices(call.conversation_id)
        details = twiml.Handover(
            queue=queue,
            hours=self.router.hours.describe(),
            queue_name=self.queue_name,
            callback_digits=last_four(call.address),
            allow_record=not (choices & NO_RECORDING),
        )
        return twiml.handover(preface, details, voice, self.urls)

    @staticmethod
    def spoken(result: RouteResult) -> list[str]:
        """The assistant's replies as they should be heard, with buttons read out as choices.
        The router's handover is data (`result.handover`): the phone words it itself."""
        said = []
        for reply in result.assistant:
            titles = [b["title"] for b in reply.buttons or []]
            said.append(f"{reply.text} {P.options(titles)}" if titles else reply.text)
        return said

    # webhooks
    def incoming(self, call_sid: str, from_: str | None) -> str:
        conv = self.conversation(call_sid, from_)
        call = self.load(conv)
        voice = self.voice(call)
        choices = self.router.choices(conv)
        if "automated_assistant" in choices:
            result = self.router.request_handoff(
                conv, "opt_out", note="Caller has opted out of the automated assistant.")
            return self.handover(call, voice, [P.OPTED_OUT_BEFORE], result.queue, choices)
        text = twiml.greeting_text(self.config["COUNCIL_NAME"], self.config["DATA_NOTICE_VERSION"])
        self.router.note_bot_text(conv, text)
        # The notice in force is recorded with the call (and with every choice), not spoken.
        self.router.system_message(conv, NOTICE_RECORD.format(self.config["DATA_NOTICE_VERSION"]))
        return twiml.turn([text], voice, self.urls)

    def respond(self, call_sid: str, from_: str | None, heard: GatherInput) -> str:
        conv = self.conversation(call_sid, from_)
        call = self.load(conv)
        voice = self.voice(call)
        key = heard.digits

        if call.state in (ConversationState.WAITING, ConversationState.ADVISOR):
            result = self.router.request_handoff(conv, "requested")
            return self.handover(call, voice, [], result.queue)
        if key == "0" or (not key and P.asks_for_person(heard.speech)):
            note = "Caller pressed 0." if key else "Caller asked for a person."
            result = self.router.request_handoff(conv, "requested", note=note)
            return self.handover(call, voice, [P.PUT_THROUGH], result.queue)
        if key == "9":
            self.router.record_choice(conv, "automated_assistant", "opt_out", method="keypad",
                                      utterance="pressed 9")
            result = self.router.request_handoff(
                conv, "opt_out", note="Caller pressed 9: does not want the automated assistant.")
            return self.handover(call, voice, [P.OPTED_OUT_NOW], result.queue)
        if key == "8":
            return self.data_use(conv, voice)
        if not key and P.asks_for_options(heard.speech):
            return twiml.turn([P.KEYS_HELP, P.HOW_CAN_I_HELP], voice, self.urls)
        if key == "*":
            return twiml.turn([self.last_prompt(call)], voice, self.urls)
        if key == "2":
            self.router.remember(conv, slow_speech=True)
            return twiml.turn([P.SLOWER, self.last_prompt(call)], replace(voice, slow=True),
                              self.urls)
        if key:
            return twiml.turn([P.UNKNOWN_KEY], voice, self.urls)  # explained, not counted
        if not heard.speech:
            return self.missed(call, voice, TurnOutcome.NOT_HEARD, P.NO_INPUT)
        try:
            result = self.router.handle(conv, heard.speech, method="speech")
        except InvalidMessage:
            return self.missed(call, voice, TurnOutcome.TOO_LONG, P.TOO_LONG)

        said = self.spoken(result)
        if result.handover is not None:
            preface = HANDOVER_PREFACE.get(result.handover.cause)
            return self.handover(call, voice, [preface] if preface else said, result.queue)
        if result.state in (ConversationState.WAITING, ConversationState.ADVISOR):
            return self.handover(call, voice, said, result.queue)
        if result.intent == GOODBYE_INTENT and self.router.ask_for_score(conv):
            # The caller is done and the assistant helped: one keypad question, then hang up.
            return twiml.score_question(voice, self.urls)
        said = said or [P.HOW_CAN_I_HELP]
        self.router.remember(conv, last_prompt=" ".join(said))
        if outcome_of(result.intent) == TurnOutcome.NOT_UNDERSTOOD:
            # One turn failed: the keys that could help (skip, repeat, slower) are worth saying.
            return twiml.turn([*said, P.KEYS_HELP], voice, self.urls)
        return twiml.turn(said, voice, self.urls)

    def score(self, call_sid: str, heard: GatherInput) -> str:
        """The key pressed after SCORE_QUESTION: 1 to 5 is recorded once; 0 still reaches a
        person; anything else simply ends the call."""
        conv = self.router.find_by_call(call_sid)
        if conv is None:
            return twiml.goodbye(P.GOODBYE, self.voice())
        call = self.load(conv)
        voice = self.voice(call)
        key = heard.digits
        if key == "0":
            result = self.router.request_handoff(conv, "requested", note="Caller pressed 0.")
            return self.handover(call, voice, [P.PUT_THROUGH], result.queue)
        if key in SCORE_KEYS and call.satisfaction_asked and call.satisfaction is None:
            self.router.rate(conv, int(key))
            return twiml.goodbye(P.SCORE_THANKS, voice)
        return twiml.goodbye(P.GOODBYE, voice)

    def data_use(self, conv: str, voice: twiml.Voice) -> str:
        """Press 8: how we use the caller's information. Star repeats it."""
        notice = P.data_use(self.config["RETENTION_DAYS"])
        self.router.system_message(conv, NOTICE_HEARD.format(self.config["DATA_NOTICE_VERSION"]))
        self.router.remember(conv, last_prompt=notice)
        return twiml.turn([notice, P.HOW_CAN_I_HELP], voice, self.urls)

    def missed(self, call: Call, voice: twiml.Voice, outcome: TurnOutcome, prompt: str) -> str:
        """Nothing usable was heard: the router counts it (turn-taking) and may hand over."""
        result = self.router.missed_turn(call.conversation_id, outcome)
        if result.handover is not None:
            return self.handover(call, voice, [P.NOT_UNDERSTOOD], result.queue)
        # The keys that could help (skip the assistant, repeat, slower), now that one turn failed.
        return twiml.turn([prompt, P.KEYS_HELP], voice, self.urls)

    def wait(self, call_sid: str, position: int | None) -> str:
        conv = self.router.find_by_call(call_sid)
        if conv is None:
            return twiml.wait(position, None, self.voice(), self.urls)
        call = self.load(conv)
        if position is None and call.queue is not None:
            position = call.queue.position
        offer = None if call.callback_requested else last_four(call.address)
        return twiml.wait(position, offer, self.voice(call), self.urls)

    def callback(self, call_sid: str, heard: GatherInput, *, in_queue: bool) -> str:
        conv = self.router.find_by_call(call_sid)
        if conv is None:
            voice = self.voice()
            return twiml.keep_holding(voice) if in_queue else self.system_error()
        call = self.load(conv)
        voice = self.voice(call)
        choice = P.callback_choice(heard.digits, heard.speech)
        digits = last_four(call.address)
        open_now = call.queue.open_now if call.queue is not None else self.router.hours.is_open()
        if choice == "callback" and digits:
            how = "while waiting in the phone queue" if in_queue else "when offered on the phone"
            self.router.request_callback(conv, phone=call.address, preferred_time=None,
                                         notes=f"Asked for a callback {how}.")
            return twiml.callback_confirmed(digits, open_now, voice, in_queue=in_queue)
        if in_queue:
            return twiml.keep_holding(voice)
        choices = self.router.choices(conv)
        if choice == "voicemail" and not choices & NO_RECORDING:
            return twiml.voicemail_prompt(voice, self.urls)
        if choice == "wait" and open_now:
            return twiml.enqueue([P.KEEP_HOLDING], voice, self.urls, self.queue_name)
        return self.handover(call, voice, [], call.queue, choices)

    def voicemail(self, call_sid: str, recording_url: str | None, duration: str | None) -> str:
        conv = self.router.find_by_call(call_sid)
        if conv is None:
            return twiml.goodbye(P.VOICEMAIL_EMPTY, self.voice())
        call = self.load(conv)
        voice = self.voice(call)
        url = twilio_recording_url(recording_url)
        seconds = parse_count(duration) or 0
        if url is None or seconds <= 0 or self.router.choices(conv) & NO_RECORDING:
            return twiml.goodbye(P.VOICEMAIL_EMPTY, voice)
        self.router.request_callback(conv, phone=caller_number(call.address), preferred_time=None,
                                     notes="Left a voicemail.", recording_url=url)
        return twiml.goodbye(P.VOICEMAIL_SAVED, voice)

    def queue_exit(self, call_sid: str | None, result: str) -> str:
        conv = self.router.find_by_call(call_sid) if call_sid else None
        voice = self.voice(self.load(conv)) if conv else self.voice()
        return twiml.queue_exit(result, voice, self.fallback_number())

    def status(self, call_sid: str, call_status: str) -> None:
        if call_status not in ENDED:
            return
        conv = self.router.find_by_call(call_sid)
        if conv is None:
            return
        self.router.call_ended(conv)  # in the queue or mid-flow: the caller has left

    def fallback_number(self) -> str:
        return normalise_address(self.config["COUNCIL_PHONE"])

    def system_error(self) -> str:
        return twiml.system_error(self.voice(), self.fallback_number())


def _flow() -> VoiceFlow:
    return VoiceFlow(current_app.extensions["router"], current_app.config)


def _xml(body: str) -> Response:
    return Response(body, status=200, mimetype="text/xml")


def _default_voice() -> twiml.Voice:
    return twiml.Voice(current_app.config.get("TWILIO_VOICE") or "Polly.Amy-Neural")


def _apology() -> str:
    number = normalise_address(current_app.config.get("COUNCIL_PHONE") or "")
    return twiml.system_error(_default_voice(), number)


def _holding() -> str:
    return twiml.keep_holding(_default_voice())


def never_fails(fallback: Callable[[], str]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Any exception (Rasa, database, a bug) becomes valid TwiML with status 200."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return view(*args, **kwargs)
            except Exception:  # noqa: BLE001 - a caller must never hear "an application error"
                log.exception("phone webhook %s failed; the caller gets the fallback", request.path)
                try:
                    return _xml(fallback())
                except Exception:  # noqa: BLE001 - even building the fallback failed
                    log.exception("phone fallback failed too")
                    return _xml(twiml.empty())

        return wrapper

    return decorate


# --- views: thin ------------------------------------------------------------------------------


def call_webhook(path: str, fallback: Callable[[], str],
                 without_sid: Callable[[VoiceFlow], str]) -> Callable[..., Any]:
    """A Twilio call webhook: signed, never failing (`fallback`), answered by the decorated
    `handle(flow, call_sid)`; a request with no usable CallSid gets `without_sid(flow)`."""

    def decorate(handle: Callable[[VoiceFlow, str], str]) -> Callable[[], Response]:
        @bp.post(path)
        @twilio_signed
        @never_fails(fallback)
        @wraps(handle)
        def view() -> Response:
            flow = _flow()
            sid = parse_call_sid(request.form)
            return _xml(without_sid(flow) if sid is None else handle(flow, sid))

        return view

    return decorate


def _system_error(flow: VoiceFlow) -> str:
    return flow.system_error()


def _in_queue() -> bool:
    return request.args.get("from") == "queue"


def _position() -> int | None:
    return parse_count(request.form.get("QueuePosition"))


@call_webhook("/incoming", _apology, _system_error)
def incoming(flow: VoiceFlow, sid: str) -> str:
    return flow.incoming(sid, request.form.get("From"))


@call_webhook("/respond", _apology, _system_error)
def respond(flow: VoiceFlow, sid: str) -> str:
    return flow.respond(sid, request.form.get("From"), parse_gather(request.form))


@call_webhook("/wait", _holding,
              lambda flow: twiml.wait(_position(), None, flow.voice(), flow.urls))
def wait(flow: VoiceFlow, sid: str) -> str:
    return flow.wait(sid, _position())


@call_webhook("/callback", lambda: _holding() if _in_queue() else _apology(),
              lambda flow: _holding() if _in_queue() else flow.system_error())
def callback(flow: VoiceFlow, sid: str) -> str:
    return flow.callback(sid, parse_gather(request.form), in_queue=_in_queue())


@call_webhook("/voicemail", _apology,
              lambda flow: twiml.goodbye(P.VOICEMAIL_EMPTY, flow.voice()))
def voicemail(flow: VoiceFlow, sid: str) -> str:
    form = request.form
    return flow.voicemail(sid, form.get("RecordingUrl"), form.get("RecordingDuration"))


@bp.post("/queue-exit")
@twilio_signed
@never_fails(_apology)
def queue_exit():
    result = (request.form.get("QueueResult") or "")[:32]
    return _xml(_flow().queue_exit(parse_call_sid(request.form), result))


def _goodbye() -> str:
    return twiml.goodbye(P.GOODBYE, _default_voice())


# The call is over either way, so on any failure just say goodbye: no need to put them through.
@call_webhook("/score", _goodbye, lambda flow: twiml.goodbye(P.GOODBYE, flow.voice()))
def score(flow: VoiceFlow, sid: str) -> str:
    return flow.score(sid, parse_gather(request.form))


@bp.post("/status")
@twilio_signed
@never_fails(twiml.empty)
def status():
    sid = parse_call_sid(request.form)
    if sid is not None:
        _flow().status(sid, (request.form.get("CallStatus") or "")[:32])
    return _xml(twiml.empty())
