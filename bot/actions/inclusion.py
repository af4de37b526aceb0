"""Digital inclusion (issue 16 item 5): a resident says they cannot get online or use a device.

  cannot_get_online -> action_inclusion_start (works out the need from their words)
  -> digital_inclusion_form: "May we make a note?" (yes / no), then "Which help would you like?"
     (Tea and Tech, borrow a device, a call back from the digital inclusion team, no thanks)
  -> action_inclusion_help: the help they chose, always with a person on offer.

On "yes" the need is noted at once (services.inclusion.note_need: codes only, no name, no words),
so a resident who leaves before choosing is still counted; the help they then pick is set on the
same row. On "no" nothing is written. A call back is the handoff signal (reason "requested")
filed under the digital inclusion team; the router opens the ticket and offers the call back.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from bot.actions.common import channel_of, db, latest_intent, latest_text, leave_form, summary
from bot.actions.forms import CouncilFormValidation
from services.inclusion import InclusionError, choose_offer, note_need
from services.matching import first_label

log = logging.getLogger(__name__)

# The team a call back is filed under (HandoffTicket.team; a short code like the catalogue's).
TEAM = "digital_inclusion"
FORM_SLOTS = ("inclusion_consent", "inclusion_help")
HELP_RESPONSES = {
    "tea_and_tech": "utter_inclusion_tea_and_tech",
    "device_lending": "utter_inclusion_device_lending",
    "callback": "utter_inclusion_callback",
    "none": "utter_inclusion_no_help",
}

# --- what the resident's words mean (pure functions, tested directly) ----------------------

_NOT_HAVE = (r"(no|not got|haven'?t got|havent got|have not got|haven'?t|don'?t have|dont have|"
             r"do not have|don'?t own|dont own|never had|without|lost my|broke my|broken|"
             r"got rid of|sold my)")
_DEVICE = r"(computer|laptop|pc|tablet|ipad|smart ?phone|mobile|device|phone that)"
_INTERNET = r"(internet|wi-?fi|broadband|data|connection|signal|email|e-mail|online)"
_AFFORD = re.compile(r"\b(afford|money|skint|expensive|too dear|cost|costs|pay for)")
_NO_DEVICE = re.compile(rf"\b{_NOT_HAVE}\b(\W+\w+){{0,4}}?\W+{_DEVICE}|"
                        rf"\b{_DEVICE}\b(\W+\w+){{0,3}}?\W+(broken|broke|died|stolen|"
                        r"not working|packed up|gave up)")
_NO_INTERNET = re.compile(rf"\b{_NOT_HAVE}\b(\W+\w+){{0,4}}?\W+{_INTERNET}|\bnot online\b|"
                          r"\boffline\b|\bnot connected\b")
_NO_SKILLS = re.compile(
    r"\b(don'?t know how|dont know how|do not know how|never used|"
    r"no idea|not good|useless|hopeless|struggle|confus|baffl|too old|not confident|"
    r"don'?t understand|dont understand|(can'?t|cant|cannot|can not) (work|use))")


_NEEDS = ((_AFFORD, "cannot_afford"), (_NO_DEVICE, "no_device"), (_NO_INTERNET, "no_internet"),
          (_NO_SKILLS, "no_skills"))


def need_of(text: str) -> str:
    """The need in the resident's words: no_device, no_internet, cannot_afford, no_skills or
    other. Money first ("I can't afford broadband" is about money), then what they lack."""
    low = " ".join((text or "").lower().replace("’", "'").split())
    return first_label(low, _NEEDS) or "other"


_AGREE = re.compile(
    r"\b(yes|yeah|yep|yup|ya|aye|y|ok|okay|sure|fine|go on|go ahead|of course|please do|"
    r"alright|all right|by all means|certainly|definitely|that'?s fine|that'?s ok|"
    r"don'?t mind|dont mind|do not mind|no problem|no bother|no worries|why not)\b")
# Yes, though they contain "no" or "not".
_YES_IDIOM = re.compile(
    r"\b(don'?t|dont|do not) mind\b|\b(no|not a) (problem|bother|worries)\b|\bwhy not\b")
_REFUSE = re.compile(
    r"\b(no|nope|nah|not|don'?t|dont|do not|rather not|never|n)\b")


def consent_of(text: str, intent: str | None) -> bool | None:
    """True, False, or None when we can't tell. 'I don't mind' and 'no problem' mean yes here."""
    low = " ".join((text or "").lower().replace("’", "'").split())
    if _YES_IDIOM.search(low):
        return True
    if intent == "deny" or _REFUSE.search(low):
        return False
    if intent == "affirm" or _AGREE.search(low):
        return True
    return None


_DEVICE_HELP = re.compile(
    r"\b(borrow|borrowing|lend|lending|loan|device|devices|tablet|tablets|laptop|laptops|"
    r"ipad|sim|data)\b")
_TEA_HELP = re.compile(
    r"\b(tea|tech|session|sessions|class|classes|lesson|lessons|learn|learning|course|teach|"
    r"library|libraries|drop in)\b")
_CALL_HELP = re.compile(
    r"\b(call|calls|ring|phone me|callback|rang|person|someone|somebody|speak|talk|team|human|"
    r"advisor|adviser)\b")
_NO_HELP = re.compile(r"\b(no|none|nothing|nope|nah|neither|not now|not really|i'?m ok|"
                      r"i'?m fine|i'?m alright)\b")


def help_of(text: str, intent: str | None) -> str | None:
    """tea_and_tech, device_lending, callback, none, or None when we can't tell."""
    low = " ".join((text or "").lower().replace("’", "'").split())
    choice = first_label(low, ((_DEVICE_HELP, "device_lending"), (_TEA_HELP, "tea_and_tech"),
                               (_CALL_HELP, "callback")))
    if choice:
        return choice
    if intent == "deny" or _NO_HELP.search(low):
        return "none"
    return None


# --- the flow ------------------------------------------------------------------------------

class ActionInclusionStart(Action):
    """Before the form: note which need the resident described, and start afresh. If we
    already noted it in this session, don't ask again (and don't count them twice)."""

    def name(self) -> str:
        return "action_inclusion_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        noted = tracker.get_slot("inclusion_record") is not None
        return [
            SlotSet("inclusion_need", need_of(latest_text(tracker))),
            SlotSet("inclusion_consent", True if noted else None),
            SlotSet("inclusion_help", None),
        ]


class ValidateDigitalInclusionForm(CouncilFormValidation):
    # "no" answers both questions; "stop" or "menu" still leaves the form.
    no_is_an_answer = frozenset(FORM_SLOTS)

    def name(self) -> str:
        return "validate_digital_inclusion_form"

    def validate_inclusion_consent(self, value: Any, dispatcher: CollectingDispatcher,
                                   tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        if isinstance(value, bool):
            # Set by action_inclusion_start (already noted in this session), not said now.
            return {"inclusion_consent": value}
        answer = consent_of(latest_text(tracker) or str(value or ""), latest_intent(tracker))
        if answer is None:
            dispatcher.utter_message(response="utter_inclusion_unclear")
            return {"inclusion_consent": None}
        if not answer:
            dispatcher.utter_message(response="utter_inclusion_not_noted")
            return {"inclusion_consent": False}
        need = tracker.get_slot("inclusion_need") or "other"
        try:
            record = note_need(db(), channel=channel_of(tracker), need=need,
                               conversation_id=tracker.sender_id)
        except (SQLAlchemyError, InclusionError):
            # Honest, and the help is still offered: a failed note must not block the help.
            log.exception("digital inclusion need could not be noted")
            dispatcher.utter_message(response="utter_inclusion_note_failed")
            return {"inclusion_consent": True}
        dispatcher.utter_message(response="utter_inclusion_noted")
        return {"inclusion_consent": True, "inclusion_record": record}

    def validate_inclusion_help(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        choice = help_of(latest_text(tracker) or str(value or ""), latest_intent(tracker))
        if choice is None:
            dispatcher.utter_message(response="utter_inclusion_unclear")
        return {"inclusion_help": choice}


def _set_offer(tracker: Tracker, offer: str) -> None:
    """The help chosen, on the need we noted (if the resident agreed to a note)."""
    record = tracker.get_slot("inclusion_record")
    if record is None:
        return
    try:
        choose_offer(db(), need_id=int(record), offer=offer, conversation_id=tracker.sender_id)
    except (SQLAlchemyError, InclusionError, ValueError):
        # The resident still gets the help; only the count of what they chose is missing.
        log.exception("digital inclusion offer could not be set")


def _call_back(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    dispatcher.utter_message(response="utter_inclusion_callback")
    dispatcher.utter_message(json_message={"handoff": {
        "reason": "requested", "priority": 3,
        "summary": summary(tracker) | {"topic": "digital inclusion", "team": TEAM},
    }})


class ActionInclusionHelp(Action):
    """After the form: the help they chose (or that we stopped), and a person on offer."""

    def name(self) -> str:
        return "action_inclusion_help"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        choice = tracker.get_slot("inclusion_help")
        clear: list[EventType] = [SlotSet(name, None) for name in FORM_SLOTS]
        if choice not in HELP_RESPONSES:
            dispatcher.utter_message(response="utter_inclusion_stopped")
            return clear
        _set_offer(tracker, choice)
        if choice == "callback":
            _call_back(dispatcher, tracker)
        else:
            dispatcher.utter_message(response=HELP_RESPONSES[choice])
        return clear


class ActionInclusionCallback(Action):
    """'Person' during the questions: a call back from the digital inclusion team."""

    def name(self) -> str:
        return "action_inclusion_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        _set_offer(tracker, "callback")
        _call_back(dispatcher, tracker)
        return leave_form(tracker) + [SlotSet(name, None) for name in FORM_SLOTS]
