"""Pure TwiML builders for the phone line and SMS: data in, XML string out. No Flask, no database.

The views in channels/voice.py and channels/sms.py decide what happens; these functions only
say how it sounds (voice, language, slow speech) and where Twilio goes next (action URLs).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from channels import phone_prompts as P
from core.identity import normalise_address

LANGUAGE = "en-GB"
RECORD_MAX_SECONDS = 120
WAIT_PAUSE_SECONDS = 20


@dataclass(frozen=True)
class Voice:
    """How the call sounds: the Twilio voice, British English, and the caller's slow speech."""

    voice: str
    slow: bool = False
    language: str = LANGUAGE


class _Webhook:
    """One of our webhooks, read from `Urls` as an absolute URL under its base."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __get__(self, urls: Urls | None, owner: type | None = None) -> Any:
        return self if urls is None else urls.base.rstrip("/") + self.path


@dataclass(frozen=True)
class Urls:
    """Absolute webhook URLs under PUBLIC_BASE_URL (what Twilio calls and signs)."""

    base: str

    respond = _Webhook("/voice/respond")
    wait = _Webhook("/voice/wait")
    callback_offer = _Webhook("/voice/callback?from=offer")
    callback_queue = _Webhook("/voice/callback?from=queue")
    voicemail = _Webhook("/voice/voicemail")
    queue_exit = _Webhook("/voice/queue-exit")
    score = _Webhook("/voice/score")


class QueueLike(Protocol):
    position: int | None
    expected_wait_minutes: int | None
    advisors_available: int
    open_now: bool


@dataclass(frozen=True)
class Handover:
    """Everything the handover announcement needs."""

    queue: QueueLike | None
    hours: str                      # e.g. "Monday to Friday, 9am to 5pm"
    queue_name: str = "advisors"
    callback_digits: str | None = None   # last four digits of a number we can call back
    allow_record: bool = True            # False if the caller opted out of recording/data use


# --- pure helpers for Twilio's parameters ---------------------------------------------------

_E164 = re.compile(r"^\+\d{8,15}$")
# What Twilio sends as From for withheld, restricted or unknown numbers.
ANONYMOUS_NUMBERS = {"+266696687", "+7378742833", "+2562533", "+8656696687", "+86282452253"}


def caller_number(from_: str | None) -> str | None:
    """The caller's number in E.164 if it is a real one we could call back, else None."""
    if not from_ or len(from_) > 32:
        return None
    number = normalise_address(from_)
    if not _E164.match(number) or number in ANONYMOUS_NUMBERS:
        return None
    return number


def last_four(number: str | None) -> str | None:
    number = caller_number(number)
    return number[-4:] if number else None


# --- building blocks ------------------------------------------------------------------------


def say(parent: Any, text: str, voice: Voice) -> None:
    """One <Say>; slow speech wraps the words in SSML <prosody rate="slow">."""
    if not text:
        return
    if voice.slow:
        element = parent.say(voice=voice.voice, language=voice.language)
        element.prosody(text, rate="slow")
    else:
        parent.say(text, voice=voice.voice, language=voice.language)


def _says(parent: Any, texts: Iterable[str], voice: Voice) -> None:
    for text in texts:
        say(parent, text, voice)
        if voice.slow:
            parent.pause(length=1)


def _gather(parent: Any, urls: Urls, hints: str = P.HINTS) -> Any:
    """The assistant's turn: speech or one key, British English, a fixed 3-second speech timeout,
    and the action called even on silence so two quiet turns can hand over."""
    return parent.gather(
        input="speech dtmf",
        action=urls.respond,
        method="POST",
        language=LANGUAGE,
        hints=hints,
        speech_timeout="3",
        action_on_empty_result=True,
        num_digits=1,
    )


def _enqueue(resp: VoiceResponse, urls: Urls, queue_name: str) -> None:
    resp.enqueue(queue_name, wait_url=urls.wait, wait_url_method="POST",
                 action=urls.queue_exit, method="POST")


# --- the assistant's turns ------------------------------------------------------------------


def turn(texts: Sequence[str], voice: Voice, urls: Urls) -> str:
    """Say the assistant's words inside a <Gather> (so callers can barge in), then listen."""
    resp = VoiceResponse()
    gather = _gather(resp, urls)
    _says(gather, [t for t in texts if t] or [P.HOW_CAN_I_HELP], voice)
    return str(resp)


def greeting(council: str, notice_version: str, voice: Voice, urls: Urls) -> str:
    return turn([greeting_text(council, notice_version)], voice, urls)


def greeting_text(council: str, notice_version: str) -> str:
    """The spoken greeting. `notice_version` is recorded with the call, not read out."""
    del notice_version
    return P.GREETING.format(council=council)


# --- handing over to people -----------------------------------------------------------------


def _choices(resp_or_gather: Any, handover: Handover, voice: Voice) -> bool:
    """Speak the callback / voicemail choices; returns whether any choice was offered."""
    offered = False
    if handover.callback_digits:
        digits = P.spaced_digits(handover.callback_digits)
        say(resp_or_gather, P.CALLBACK_OFFER.format(digits=digits), voice)
        offered = True
    if handover.allow_record:
        say(resp_or_gather, P.VOICEMAIL_OFFER, voice)
        offered = True
    return offered


def handover(preface: Sequence[str], h: Handover, voice: Voice, urls: Urls) -> str:
    """Put the caller through, honestly:
    - advisors free: their place in the queue, then <Enqueue> (the wait URL keeps them informed);
    - open but nobody free: say so, offer a callback or voicemail, else wait in the queue;
    - closed: say when we are open, offer a callback or voicemail, else say goodbye.
    """
    resp = VoiceResponse()
    _says(resp, [t for t in preface if t], voice)
    q = h.queue
    if q is None or (q.open_now and q.advisors_available > 0):
        if q is not None and q.position:
            say(resp, P.queue_position(q.position, q.expected_wait_minutes), voice)
        _enqueue(resp, urls, h.queue_name)
        return str(resp)

    offer = resp.gather(input="dtmf speech", action=urls.callback_offer, method="POST",
                        language=LANGUAGE, hints=P.CALLBACK_HINTS, num_digits=1, timeout=6,
                        speech_timeout="2")
    if q.open_now:
        say(offer, P.NOBODY_FREE, voice)
        _choices(offer, h, voice)
        say(offer, P.WAIT_OFFER, voice)
        _enqueue(resp, urls, h.queue_name)
        return str(resp)

    say(offer, P.CLOSED.format(hours=h.hours), voice)
    offered = _choices(offer, h, voice)
    say(resp, P.NO_CHOICE_CLOSED if offered else P.CALL_AGAIN_CLOSED, voice)
    resp.hangup()
    return str(resp)


def enqueue(preface: Sequence[str], voice: Voice, urls: Urls, queue_name: str = "advisors") -> str:
    """Straight into the queue (the caller chose to wait)."""
    resp = VoiceResponse()
    _says(resp, preface, voice)
    _enqueue(resp, urls, queue_name)
    return str(resp)


def callback_confirmed(digits: str, open_now: bool, voice: Voice, *, in_queue: bool) -> str:
    """The callback is logged. In the queue's wait context we <Leave>; otherwise hang up."""
    resp = VoiceResponse()
    template = P.CALLBACK_CONFIRMED_OPEN if open_now else P.CALLBACK_CONFIRMED_CLOSED
    say(resp, template.format(digits=P.spaced_digits(digits)), voice)
    if in_queue:
        resp.leave()
    else:
        resp.hangup()
    return str(resp)


def voicemail_prompt(voice: Voice, urls: Urls) -> str:
    resp = VoiceResponse()
    say(resp, P.VOICEMAIL_INSTRUCTIONS, voice)
    resp.record(action=urls.voicemail, method="POST", max_length=RECORD_MAX_SECONDS,
                finish_on_key="#", play_beep=True, timeout=6)
    # Twilio only calls the action when something was recorded; silence falls through here.
    say(resp, P.VOICEMAIL_EMPTY, voice)
    resp.hangup()
    return str(resp)


SCORE_TIMEOUT_SECONDS = 6


def score_question(voice: Voice, urls: Urls) -> str:
    """The end of a call the assistant handled: one key from 1 to 5, or nothing and goodbye."""
    resp = VoiceResponse()
    gather = resp.gather(input="dtmf", action=urls.score, method="POST", num_digits=1,
                         timeout=SCORE_TIMEOUT_SECONDS)
    say(gather, P.SCORE_QUESTION, voice)
    # No key pressed: Twilio falls through to here, and the call ends politely.
    say(resp, P.GOODBYE, voice)
    resp.hangup()
    return str(resp)


def goodbye(text: str, voice: Voice) -> str:
    resp = VoiceResponse()
    say(resp, text, voice)
    resp.hangup()
    return str(resp)


# --- while waiting in the queue (Twilio's waitUrl context: Say, Pause, Gather, Leave only) ----


def wait(position: int | None, offer_callback_digits: str | None, voice: Voice, urls: Urls) -> str:
    resp = VoiceResponse()
    text = P.WAIT_POSITION.format(position=position) if position else P.WAIT_STILL
    if offer_callback_digits:
        gather = resp.gather(input="dtmf", action=urls.callback_queue, method="POST",
                             num_digits=1, timeout=3)
        say(gather, text, voice)
        say(gather, P.WAIT_CALLBACK, voice)
    else:
        say(resp, text, voice)
    resp.pause(length=WAIT_PAUSE_SECONDS)
    return str(resp)


def keep_holding(voice: Voice) -> str:
    resp = VoiceResponse()
    say(resp, P.KEEP_HOLDING, voice)
    resp.pause(length=WAIT_PAUSE_SECONDS)
    return str(resp)


def queue_exit(result: str, voice: Voice, fallback_number: str) -> str:
    """The <Enqueue> action: how the caller left the queue (QueueResult)."""
    resp = VoiceResponse()
    if result in ("bridged", "bridging-in-process", "leave"):
        if result == "bridged":
            say(resp, P.GOODBYE, voice)
        resp.hangup()
    elif result in ("queue-full", "error", "system-error"):
        say(resp, P.QUEUE_ERROR, voice)
        resp.dial(fallback_number)
    # hangup / redirected: the caller is gone or elsewhere; nothing to say.
    return str(resp)


# --- failures: always valid TwiML ------------------------------------------------------------


def system_error(voice: Voice, fallback_number: str) -> str:
    """Anything unexpected: a short apology and the council's own line, bypassing our systems."""
    resp = VoiceResponse()
    say(resp, P.SYSTEM_ERROR, voice)
    resp.dial(fallback_number)
    return str(resp)


def empty() -> str:
    return str(VoiceResponse())


# --- SMS ---------------------------------------------------------------------------------------

SMS_SEGMENTS = 3
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXT = set("^{}\\[~]|€")
_PLAIN = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-",
                        "…": "...", "\u00a0": " "})


def sms_limit(text: str) -> int:
    """Characters that fit in three segments: GSM-7 unless the text needs Unicode (UCS-2)."""
    if all(c in _GSM7 or c in _GSM7_EXT for c in text):
        return 153 * SMS_SEGMENTS
    return 67 * SMS_SEGMENTS


def _sms_len(text: str) -> int:
    if all(c in _GSM7 or c in _GSM7_EXT for c in text):
        return sum(2 if c in _GSM7_EXT else 1 for c in text)
    return len(text.encode("utf-16-le")) // 2


def _trim(text: str, room: int, gsm: bool) -> str:
    """Cut at a word boundary so the text plus '...' fits in `room` units."""
    if _sms_len(text) <= room:
        return text
    budget, used, end = room - 3, 0, 0
    for i, c in enumerate(text):
        width = (2 if c in _GSM7_EXT else 1) if gsm else len(c.encode("utf-16-le")) // 2
        if used + width > budget:
            break
        used, end = used + width, i + 1
    cut = text[:end]
    if end < len(text) and " " in cut:
        cut = cut[: cut.rfind(" ")]
    cut = cut.rstrip(" ,;:.\n")
    return cut + "..." if cut else ""


def _says_already(text: str, footer: str) -> bool:
    """The reply already tells the resident what the footer would: its opening words ("Reply
    PERSON") appear in any wording ("... or reply PERSON to talk to someone who can help")."""
    return " ".join(footer.split()[:2]).lower() in text.lower()


def sms_body(replies: Sequence[Any], footer: str | None = None) -> tuple[str, list[str]]:
    """Join the assistant's replies into one text of at most three segments.

    Buttons become numbered lines ("Reply 1 for Bin day"); returns the body and the button
    payloads in that order, so a reply of "1" can be mapped back to the first payload.
    """
    texts = [str(r.text).translate(_PLAIN).strip() for r in replies if getattr(r, "text", "")]
    payloads: list[str] = []
    lines: list[str] = []
    for reply in replies:
        for button in getattr(reply, "buttons", None) or []:
            if len(payloads) == 9:
                break
            payloads.append(button["payload"])
            lines.append(f"Reply {len(payloads)} for {button['title'].translate(_PLAIN)}")
    text = "\n\n".join(t for t in texts if t)
    if footer and _says_already(text, footer):
        footer = None
    options = "\n".join(lines)
    candidate = "\n".join(p for p in (text, options, footer or "") if p)
    limit = sms_limit(candidate)
    if _sms_len(candidate) <= limit:
        return candidate, payloads
    candidate = "\n".join(p for p in (text, options) if p)
    limit = sms_limit(candidate)
    if _sms_len(candidate) <= limit:
        return candidate, payloads
    while lines and _sms_len(options) > limit // 2:
        lines.pop()
        payloads.pop()
        options = "\n".join(lines)
    room = limit - (_sms_len(options) + 1 if options else 0)
    text = _trim(text, room, gsm=limit == 153 * SMS_SEGMENTS)
    return "\n".join(p for p in (text, options) if p), payloads


def sms_reply(body: str) -> str:
    resp = MessagingResponse()
    if body:
        resp.message(body)
    return str(resp)


def sms_empty() -> str:
    return str(MessagingResponse())
