"""SMS: the same assistant by text message. POST /sms/incoming (Twilio Messaging webhook).

- Normal texts go to the router (Rasa's "sms" channel gives short replies); the replies are
  joined into one text of at most three segments, with buttons as "Reply 1 for ...".
- PERSON hands over; advisors answer from the console (the router's queue sends the SMS).
  While a text waits for a person, each text is acknowledged (never silence), and CALL (or a
  short "please call me back") asks for a call back on the number that texted.
- STOP (and STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT) is recorded as an SMS opt-out and honoured:
  we send nothing back (Twilio confirms STOP itself on long codes) and answer no later texts.
  START withdraws it. If either cannot be recorded (the database is down) we answer 503, so
  Twilio retries or uses its fallback URL: a STOP is never acknowledged and lost.
- A number that opted out of the automated assistant goes straight to people (the router).
- A reply of 1 to 5 to the "how did we do?" text an advisor's close sent is recorded as that
  conversation's score and thanked (handoff/scores.py); anything else is a new message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, request

from channels import twiml
from channels.twilio_auth import twilio_signed
from channels.twiml import caller_number
from core.extensions import csrf
from core.vocabulary import ConversationState
from handoff.router import ConversationRouter, InvalidMessage

log = logging.getLogger(__name__)

bp = Blueprint("sms", __name__, url_prefix="/sms")
csrf.exempt(bp)  # Twilio cannot send a CSRF token; the request signature protects this route.

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
START_WORDS = {"START", "UNSTOP"}
PERSON_WORDS = {"PERSON", "HUMAN", "ADVISOR", "ADVISER", "AGENT", "OPERATOR"}
CALLBACK_WORDS = {"CALL", "CALLME", "CALLBACK", "CALLMEBACK", "RINGME", "PHONEME"}

INTRO_FOOTER = "Reply PERSON to talk to someone."
ONLY_TEXT = "Sorry, we can only read text. Please send your question as a text message."
TOO_LONG = "Sorry, that message is too long. Please send up to {limit:,} characters."
ALREADY_WAITING = "You are already in the queue for a person. They will reply here."
WAITING_ACK = "Thank you. A person will read this and reply here."
WAITING_ACK_CALL = WAITING_ACK + " Reply CALL if you would like us to phone you instead."
CALL_FOOTER = "Reply CALL if you would like us to phone you back."
CALLBACK_OPEN = ("Thank you. An advisor will call you back on the number ending {digits} "
                 "as soon as they can. If someone is in danger, call 999.")
CALLBACK_CLOSED = ("Thank you. We are closed now. An advisor will call you back on the number "
                   "ending {digits} when we open: {hours}. If someone is in danger, call 999.")
CALLBACK_NOTE = "Texted CALL while waiting: call back on the number that texted."
CALLBACK_ALREADY = "You have already asked us to call you back. An advisor will call you."
AFTER_STOP = "A text arrived from a number that opted out of texts. No reply was sent."
SOMETHING_WRONG = "Sorry, something went wrong. Please try again later or call us on {phone}."
SCORE_THANKS = "Thank you for your score. It helps us improve. Reply PERSON if you need more help."
NOT_RECORDED = "The choice was not recorded yet. Please send this request again."


def keyword(body: str) -> str:
    """'Stop', 'STOP ALL', 'stop.' -> 'STOP'/'STOPALL'. Long messages are never keywords."""
    if len(body) > 24:
        return ""
    return re.sub(r"[^A-Z]", "", body.upper())


_CALL_ME = re.compile(r"\b(call|ring|phone)\b.*\b(me|back|us)\b")
_NOT = re.compile(r"\b(dont|don't|do not|never|no need)\b")


def wants_call_back(body: str) -> bool:
    """CALL, or a short text asking for one in words ("please call me back", "can you ring
    me"): the hand-over notice says "you can ask us to call you back", so people ask."""
    text = " ".join(body.lower().split())
    if keyword(body) in CALLBACK_WORDS:
        return True
    return len(text) <= 60 and bool(_CALL_ME.search(text)) and not _NOT.search(text)


ACK_EVERY = timedelta(minutes=10)


def should_acknowledge(transcript: Sequence[Any], now: datetime) -> bool:
    """Pure: acknowledge a text to a waiting conversation unless the last thing we sent was an
    acknowledgement less than ACK_EVERY ago (the resident already knows it will be read)."""
    ours = [m for m in transcript if m.sender in ("bot", "advisor")]
    if not ours or ours[-1].text not in (WAITING_ACK, WAITING_ACK_CALL):
        return True
    sent = datetime.fromisoformat(ours[-1].sent_at.removesuffix("Z")).replace(tzinfo=UTC)
    return now - sent >= ACK_EVERY


def option_payload(body: str, options: list[str]) -> str | None:
    """A reply of '1'..'9' picks the matching button from the previous text."""
    text = body.strip().rstrip(".")
    if len(text) == 1 and text.isdigit() and 1 <= int(text) <= len(options):
        return options[int(text) - 1]
    return None


class SmsFlow:
    def __init__(self, router: ConversationRouter, config: Mapping[str, Any]) -> None:
        self.router = router
        self.config = config

    def incoming(self, from_: str | None, body: str) -> str:
        number = caller_number(from_)
        if number is None:
            return twiml.sms_empty()  # nobody we can answer
        if self.router.sms_score(number, body) is not None:
            return twiml.sms_reply(SCORE_THANKS)  # answers the closed conversation's question
        conv = self.router.sms_thread(number)
        text = body.strip()
        word = keyword(text)
        if word in STOP_WORDS:
            self.router.record_choice(conv, "sms", "opt_out", method="text", utterance=text)
            return twiml.sms_empty()
        choices = self.router.choices(conv)
        if "sms" in choices:
            if word in START_WORDS or word == "YES":
                self.router.record_choice(conv, "sms", "withdraw", method="text", utterance=text)
            else:
                self.router.system_message(conv, AFTER_STOP)
            return twiml.sms_empty()  # Twilio confirms START itself
        if word in START_WORDS:
            return twiml.sms_empty()

        thread = self.router.snapshot(conv, with_messages=False)
        waiting = thread.state == ConversationState.WAITING
        if waiting and wants_call_back(text):
            if thread.callback_requested:  # one call back, however often they ask
                return twiml.sms_reply(CALLBACK_ALREADY)
            return twiml.sms_reply(self.callback(conv, number))
        if word in PERSON_WORDS:
            result = self.router.request_handoff(conv, "requested", note="Texted PERSON.")
            if not result.replies:
                return twiml.sms_reply(ALREADY_WAITING)
        else:
            message = option_payload(text, list(thread.offered_payloads)) or text
            try:
                result = self.router.handle(conv, message, method="text")
            except InvalidMessage:
                if not text:
                    return twiml.sms_reply(ONLY_TEXT)
                return twiml.sms_reply(TOO_LONG.format(limit=self.config["MAX_MESSAGE_CHARS"]))
        if not result.replies and result.state == ConversationState.WAITING:
            # Stored for the advisor; the resident still hears that it arrived, once in a while
            # (an auto-reply answering our acknowledgement must not start an endless exchange).
            transcript = self.router.snapshot(conv).messages
            if not should_acknowledge(transcript, datetime.now(UTC)):
                return twiml.sms_empty()
            ack = WAITING_ACK if thread.callback_requested else WAITING_ACK_CALL
            self.router.note_bot_text(conv, ack)
            return twiml.sms_reply(ack)
        intro = not thread.sms_intro_sent and result.state == ConversationState.BOT
        footer = INTRO_FOOTER if intro else None
        if result.handover is not None and result.state == ConversationState.WAITING:
            footer = CALL_FOOTER  # the notice offers a call back: this is how, by text
        reply, _options = twiml.sms_body(result.replies, footer=footer)
        if not thread.sms_intro_sent:
            self.router.remember(conv, sms_intro_sent=True)
        return twiml.sms_reply(reply)

    def callback(self, conv: str, number: str) -> str:
        """CALL while waiting: a call back to the number that texted, on the ticket."""
        self.router.request_callback(conv, phone=number, preferred_time=None, notes=CALLBACK_NOTE)
        digits = twiml.last_four(number) or ""
        if self.router.hours.is_open():
            return CALLBACK_OPEN.format(digits=digits)
        return CALLBACK_CLOSED.format(digits=digits, hours=self.router.hours.describe())


def _xml(body: str) -> Response:
    return Response(body, status=200, mimetype="text/xml")


@bp.post("/incoming")
@twilio_signed
def incoming():
    body = request.form.get("Body") or ""
    try:
        flow = SmsFlow(current_app.extensions["router"], current_app.config)
        return _xml(flow.incoming(request.form.get("From"), body))
    except Exception:  # noqa: BLE001 - the resident always gets an answer or a retry
        log.exception("SMS webhook failed")
        if keyword(body.strip()) in STOP_WORDS | START_WORDS:
            # A STOP (or START) we could not record must not be lost: a 5xx makes Twilio retry
            # or use its fallback URL, where telling them "something went wrong" would not.
            return Response(NOT_RECORDED, status=503, mimetype="text/plain",
                            headers={"Retry-After": "30"})
        phone = current_app.config.get("COUNCIL_PHONE", "")
        return _xml(twiml.sms_reply(SOMETHING_WRONG.format(phone=phone)))
