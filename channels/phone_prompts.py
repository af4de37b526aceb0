"""What the phone line says, in plain English. Short sentences: people hear these once.

The assistant's own answers come from Rasa (its "phone" response variations); these are the
words the phone channel speaks itself: the greeting, keypad controls, queue and callbacks.
"""

from __future__ import annotations

import re

# Under 35 words: that it is automated, that 0 reaches a person at any time, and how to hear
# about data use. The notice version is recorded with the call (a system note), never read out: it
# means nothing to a caller. The other keys are offered when they help (KEYS_HELP).
GREETING = (
    "Hello. This is {council}'s automated assistant. "
    "Press 0 or say 'person' at any time to talk to someone. "
    "Press 8 to hear how we use your information. "
    "How can I help?"
)
# After a turn that failed, or when the caller says "options".
KEYS_HELP = (
    "You can also press 9 to skip the automated assistant, "
    "star to hear something again, or 2 for slower speech."
)
# Press 8. Plain words; the privacy notice has the rest.
DATA_USE = (
    "We keep a record of this call to help you and to pass you to a person. "
    "We remove card and phone numbers. We delete the record after {days} days. "
    "To stop us keeping it, say 'do not keep a record'. "
    "Our privacy notice is on our website. Press 0 for a person."
)
HOW_CAN_I_HELP = "How can I help?"

# Caller controls
SLOWER = "I will speak more slowly."
NO_INPUT = "Sorry, I did not hear anything. Please tell me what you need, or press 0 for a person."
UNKNOWN_KEY = "That key does not do anything. Say what you need, or press 0 to talk to someone."
TOO_LONG = "Sorry, that was too long for me. Please tell me in a few words."
PUT_THROUGH = "I am putting you through to a person."
OPTED_OUT_NOW = (
    "Thank you. We have noted that you do not want to use the automated assistant. "
    "I am putting you through to a person."
)
OPTED_OUT_BEFORE = (
    "You told us you do not want to use the automated assistant, "
    "so I am putting you straight through to a person."
)
NOT_UNDERSTOOD = "Sorry, I am not understanding you. I am putting you through to a person."
ASSISTANT_FAILED = (
    "Sorry, our automated assistant is not working right now. "
    "I am putting you through to a person."
)

# Queue, callback and voicemail
NOBODY_FREE = "No advisor is free right now."
CLOSED = "Our advisors are not working right now. They are here {hours}."
CALLBACK_OFFER = "To be called back on the number ending {digits}, press 1."
VOICEMAIL_OFFER = "To leave a message, press 2."
WAIT_OFFER = "To wait for the next advisor, stay on the line."
NO_CHOICE_CLOSED = "We did not get a choice. Please call again when we are open. Goodbye."
CALL_AGAIN_CLOSED = "Please call again when we are open. Goodbye."
CALLBACK_CONFIRMED_OPEN = (
    "Thank you. We will call you back on the number ending {digits} as soon as an advisor is free. "
    "Goodbye."
)
CALLBACK_CONFIRMED_CLOSED = (
    "Thank you. We will call you back on the number ending {digits} when we are open. Goodbye."
)
VOICEMAIL_INSTRUCTIONS = (
    "After the tone, say your name, your phone number and what you need. "
    "Then press the hash key or hang up."
)
VOICEMAIL_SAVED = "Thank you. We have your message and an advisor will call you back. Goodbye."
VOICEMAIL_EMPTY = "We did not hear a message, so nothing was saved. Please call again. Goodbye."
WAIT_POSITION = "You are number {position} in the queue. Thank you for waiting."
WAIT_STILL = "Thank you for waiting. An advisor will be with you soon."
WAIT_CALLBACK = "To be called back instead, press 1."
KEEP_HOLDING = "Please keep holding."
GOODBYE = "Thank you for calling. Goodbye."
# Asked once, instead of the assistant's goodbye, when it handled the call alone (keypad only;
# pressing nothing ends the call with GOODBYE).
SCORE_QUESTION = (
    "Before you go, how did we do? "
    "Press a number from 1 for very poor to 5 for very good."
)
SCORE_THANKS = "Thank you for your score. Goodbye."
QUEUE_ERROR = "Sorry, we could not keep you in the queue. I am putting you through to the council."
SYSTEM_ERROR = "Sorry, something went wrong on our side. I am putting you through to the council."
OPTIONS = "You can say: {options}."

# Speech recognition hints: the words callers use most, so Twilio hears them right.
HINTS = ", ".join([
    "bin", "bins", "bin day", "recycling", "garden waste", "missed bin", "pothole",
    "street light", "fly-tipping", "council tax", "parking permit", "planning application",
    "library", "housing", "complaint", "reference", "postcode", "person", "advisor",
    "call me back",
])
CALLBACK_HINTS = "call me back, callback, message, wait, hold"


def queue_position(position: int | None, minutes: int | None) -> str:
    if not position:
        return PUT_THROUGH
    said = f"You are number {position} in the queue."
    if minutes:
        unit = "minute" if minutes == 1 else "minutes"
        said += f" The wait is about {minutes} {unit}."
    return said


def spaced_digits(digits: str) -> str:
    """'1234' -> '1 2 3 4' so the voice reads digits, not 'one thousand two hundred'."""
    return " ".join(digits)


def options(titles: list[str]) -> str:
    """Buttons from the assistant, spoken: 'You can say: Bin day, Pothole or Talk to a person.'"""
    titles = [t.strip() for t in titles if t and t.strip()]
    if not titles:
        return ""
    joined = titles[0] if len(titles) == 1 else ", ".join(titles[:-1]) + " or " + titles[-1]
    return OPTIONS.format(options=joined)


# --- what callers say that the channel acts on itself (pure) ---------------------------------

PERSON_WORDS = {"person", "human", "operator", "advisor", "adviser", "agent", "someone",
                "somebody", "people", "staff"}
_FILLER = {
    "a", "an", "the", "to", "i", "i'd", "id", "want", "wanna", "talk", "speak", "can", "could",
    "would", "like", "me", "put", "through", "real", "actual", "with", "let", "get", "need",
    "please", "just", "member", "of", "yes", "now", "ok", "okay", "live",
}
_WORD = re.compile(r"[a-z']+")
_CALLBACK_WORDS = {"back", "callback", "one"}
_MESSAGE_WORDS = {"message", "voicemail", "two"}
_WAIT_WORDS = {"wait", "hold", "three", "stay"}


OPTION_WORDS = {"options", "option", "menu", "choices", "keys"}
_OPTION_FILLER = {"what", "are", "my", "the", "hear", "say", "tell", "give", "list", "your",
                  "which", "can", "i", "press", "please", "me", "again", "all"}


def _only_asks(utterance: str, wanted: set[str], filler: set[str], max_words: int) -> bool:
    """A short utterance whose words, filler aside, are all `wanted` words (and there is one)."""
    words = _WORD.findall((utterance or "").lower())
    if not words or len(words) > max_words:
        return False
    rest = [w for w in words if w not in filler]
    return bool(rest) and all(w in wanted for w in rest)


def asks_for_options(utterance: str) -> bool:
    """'options', 'what are my options', 'menu please': yes. 'planning options': no."""
    return _only_asks(utterance, OPTION_WORDS, _OPTION_FILLER, max_words=6)


def data_use(retention_days: int) -> str:
    return DATA_USE.format(days=retention_days)


def asks_for_person(utterance: str) -> bool:
    """'person', 'a real person please', 'talk to someone': yes. 'someone stole my bin': no."""
    return _only_asks(utterance, PERSON_WORDS, _FILLER, max_words=8)


def callback_choice(digits: str, speech: str) -> str | None:
    """The caller's answer to the callback offer: 'callback', 'voicemail', 'wait' or None."""
    if digits:
        return {"1": "callback", "2": "voicemail", "3": "wait", "0": "wait"}.get(digits[:1])
    words = set(_WORD.findall((speech or "").lower()))
    if words & _CALLBACK_WORDS:
        return "callback"
    if words & _MESSAGE_WORDS:
        return "voicemail"
    if words & _WAIT_WORDS:
        return "wait"
    return None
