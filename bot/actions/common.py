"""Helpers shared by the actions: signals to the router, summaries, stop words, the database.

Actions import only `services` and `storage` (never the Flask side): they run in the action
server, a separate process.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from services.db import get_database
from storage.db import Database

log = logging.getLogger(__name__)

REQUESTED_SLOT = "requested_slot"
# Slots the report form fills; cleared when a report is sent, stopped or handed over.
REPORT_SLOTS = ("location", "details", "contact_preference", "contact_detail", "reference_text",
                "report_confirmed", "report_change")
# Never put in an advisor's summary: Rasa's own bookkeeping.
_INTERNAL_SLOTS = {REQUESTED_SLOT, "session_started_metadata", "report_change", "report_confirmed",
                   "reference_text", "case_proof",
                   "awaiting_feedback", "service_choices", "likely_team"}

TOPICS = {
    "bin_collection_day": "bin collection day",
    "report_missed_bin": "missed bin report",
    "report_pothole": "pothole report",
    "report_fly_tipping": "fly-tipping report",
    "report_streetlight": "street light report",
    "council_tax_pay": "paying council tax",
    "council_tax_discount": "council tax discounts",
    "council_tax_move": "council tax when moving home",
    "library_opening_hours": "library opening hours",
    "my_account_help": "My Account help",
    "check_case_status": "case status",
    "planning_application_status": "planning application status",
    "broadband_help": "broadband",
    "digital_skills_help": "digital skills",
    "parking_permit": "parking permit",
    "housing_help": "housing",
    "safeguarding_concern": "safeguarding concern",
    "complaint": "complaint",
    "contact_hours": "contact hours",
    "accessibility_request": "accessibility request",
}
FORM_TOPICS = {
    "bin_day_form": "bin collection day",
    "case_status_form": "case status",
    "planning_form": "planning application status",
    "library_form": "library opening hours",
}
REPORT_TOPICS = {
    "missed_bin": "missed bin report",
    "pothole": "pothole report",
    "fly_tipping": "fly-tipping report",
    "streetlight": "street light report",
}

# Whole messages that mean "leave what we're doing". SMS residents are told to reply MENU,
# because carriers treat STOP and CANCEL as opting out of all texts.
_STOP_PHRASES = {
    "stop", "cancel", "quit", "exit", "menu", "main menu", "back", "go back", "abort", "end",
    "forget it", "never mind", "nevermind", "start again", "start over", "leave it",
    "stop it", "stop this", "stop that", "cancel it", "cancel this", "cancel that",
    "stop the report", "cancel the report", "cancel report", "stop report", "i want to stop",
    "i want to cancel", "don't bother", "dont bother", "no stop", "stop stop",
}
_FILLER = {"please", "ok", "okay", "just", "now", "actually", "thanks", "thank", "you", "oh",
           "um", "erm", "er"}


# Set by CatalogueArbiter (bot/nlu_components.CONCERN_CHECK) on a message whose safeguarding
# concern is uncertain: {"service": "<catalogue id>"}. Not imported from there: that loads Rasa.
CONCERN_CHECK = "concern_check"


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def latest_intent(tracker: Tracker) -> str | None:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def latest_entities(tracker: Tracker) -> list[dict[str, Any]]:
    return [
        {"entity": e.get("entity"), "value": e.get("value")}
        for e in (tracker.latest_message or {}).get("entities") or []
    ]


def latest_entity(tracker: Tracker, name: str) -> str | None:
    for e in latest_entities(tracker):
        if e["entity"] == name and e["value"]:
            return str(e["value"])
    return None


def channel_of(tracker: Tracker) -> str:
    """web, phone or sms, from the metadata the router sends with each message."""
    for metadata in ((tracker.latest_message or {}).get("metadata") or {},
                     tracker.get_slot("session_started_metadata") or {}):
        if isinstance(metadata, dict) and metadata.get("channel"):
            return str(metadata["channel"])
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            name = event.get("input_channel")  # our named Rasa input channels
            return {"webchat": "web", "phone": "phone", "sms": "sms"}.get(name, "web")
    return "web"


def is_stop_phrase(text: str | None) -> bool:
    """True for short messages that only say stop / cancel / menu (and politeness)."""
    words = re.sub(r"[^a-z' ]+", " ", (text or "").lower()).split()
    core = [w for w in words if w not in _FILLER]
    return bool(core) and len(core) <= 4 and " ".join(core) in _STOP_PHRASES


def db() -> Database:
    """The database named by DATABASE_URL (engines are cached per URL)."""
    return get_database()


# --- summaries and signals ---------------------------------------------------------------

def topic_of(tracker: Tracker) -> str:
    """What the resident was doing, for the advisor: the form in progress, else the latest
    intent that names a topic (the current message first)."""
    loop = tracker.active_loop_name
    if loop == "report_form":
        return REPORT_TOPICS.get(tracker.get_slot("report_kind") or "", "report a problem")
    if loop in FORM_TOPICS:
        return FORM_TOPICS[loop]
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            name = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if name in TOPICS:
                return TOPICS[name]
    return "general enquiry"


def summary(tracker: Tracker) -> dict[str, Any]:
    slots = {
        k: v for k, v in (tracker.slots or {}).items()
        if v is not None and k not in _INTERNAL_SLOTS
    }
    details = {
        "intent": latest_intent(tracker),
        "slots": slots,
        "entities": latest_entities(tracker),
        "topic": topic_of(tracker),
    }
    # The catalogue service's owning team, when the resident asked about one: the router
    # files the ticket under it (HandoffTicket.team) so the right advisors pick it up.
    if tracker.get_slot("likely_team"):
        details["team"] = tracker.get_slot("likely_team")
    return details


def send_handoff(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str,
                 priority: int, team: str | None = None) -> None:
    details = summary(tracker)
    if team:  # a catalogue answer in this same turn: its team, not the slot's older one
        details["team"] = team
    dispatcher.utter_message(json_message={
        "handoff": {"reason": reason, "priority": priority, "summary": details}
    })


def leave_form(tracker: Tracker) -> list[EventType]:
    """Events that end any form in progress and clear a half-made report."""
    if not tracker.active_loop_name:
        return []
    events: list[EventType] = [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None)]
    if tracker.active_loop_name == "report_form":
        events += [SlotSet(name, None) for name in REPORT_SLOTS]
    return events


def stop_form(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """The resident said stop: say so plainly and leave the form."""
    if tracker.active_loop_name == "report_form":
        dispatcher.utter_message(response="utter_report_stopped")
    else:
        dispatcher.utter_message(response="utter_form_stopped")
    return leave_form(tracker)


def system_failure(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """A look-up or write failed on our side: be honest and hand over (priority 2)."""
    log.exception("action failed on our side; handing over")
    dispatcher.utter_message(response="utter_system_failure")
    send_handoff(dispatcher, tracker, "system_failure", 2)
    return leave_form(tracker)


def answer_lookup(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str,
                  find: Callable[[], Any], not_found: dict[str, Any],
                  found: Callable[[Any], tuple[str, dict[str, Any]]]) -> list[EventType]:
    """Answer from the council's data. `find()` looks it up; when nothing is found we say
    `not_found` (a response and its values) and clear `slot`; otherwise `found(info)` gives the
    slot's value and what to say. A database error is a system failure (hand over)."""
    try:
        info = find()
    except SQLAlchemyError:
        return system_failure(dispatcher, tracker)
    if info is None:
        dispatcher.utter_message(**not_found)
        return [SlotSet(slot, None)]
    value, message = found(info)
    dispatcher.utter_message(**message)
    return [SlotSet(slot, value)]


def say_and_signal(action_name: str,
                   reply: Callable[[Tracker], tuple[str, dict[str, Any]]]) -> type[Action]:
    """An action that says a response and sends the router a signal (a JSON message), both
    from `reply(tracker)`; the conversation carries on where it was."""

    class SayAndSignal(Action):
        def name(self) -> str:
            return action_name

        async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                      domain: dict[str, Any]) -> list[EventType]:
            response, signal = reply(tracker)
            dispatcher.utter_message(response=response)
            dispatcher.utter_message(json_message=signal)
            return []

    return SayAndSignal
