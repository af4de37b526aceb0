"""Look-ups from the council's data: case status, planning applications, library hours,
contact-centre hours, and answers to a bare postcode / reference / library name (inform)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from bot.actions import catalogue
from bot.actions.bins import answer_bin_days
from bot.actions.common import (
    answer_lookup,
    db,
    latest_entities,
    latest_text,
    say_and_signal,
    system_failure,
)
from bot.actions.forms import CouncilFormValidation, answer_after_form, slot_validator
from core.redaction import has_marker
from services import cases, contact_details, dates, libraries, planning
from services.catalogue_search import decide_for, index_for
from services.hours import describe_opening_hours
from services.inform import lookup_in

# --- case status -----------------------------------------------------------------------------
# A reference is only six digits, so the status is told only to someone who also gives the
# postcode, phone number or email on the case (or calls or texts from that number).


def _proof(tracker: Tracker, given: str | None) -> str:
    """What the resident gave as proof (a typed email or number reaches us redacted: the
    router kept it, services/contact_details.py), plus the number a call or text came from."""
    _channel, caller = cases.caller_number(db(), tracker.sender_id)
    kept = contact_details.take(db(), tracker.sender_id) if has_marker(given) else None
    return " ".join(p for p in (given, kept, caller) if p)


def answer_case(dispatcher: CollectingDispatcher, tracker: Tracker, reference: str,
                proof: str | None) -> list[EventType]:
    try:
        exists, info = cases.check_case(db(), reference, _proof(tracker, proof))
    except SQLAlchemyError:
        return system_failure(dispatcher, tracker)
    if not exists:
        dispatcher.utter_message(response="utter_case_not_found", reference=reference)
        return [SlotSet("case_reference", None), SlotSet("case_proof", None)]
    if info is None:
        dispatcher.utter_message(response="utter_case_exists_unverified", reference=reference)
        return [SlotSet("case_reference", reference), SlotSet("case_proof", None)]
    dispatcher.utter_message(
        response="utter_case_status", reference=info.reference, kind=info.kind_in_words,
        status=info.status, note=info.status_note or "",
    )
    return [SlotSet("case_reference", info.reference), SlotSet("case_proof", None)]


class ValidateCaseStatusForm(CouncilFormValidation):
    def name(self) -> str:
        return "validate_case_status_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: dict[str, Any]) -> list[str]:
        """No need to ask for proof when the case does not exist, or when the call or text
        comes from the number on the case."""
        slots = list(domain_slots)
        reference = cases.find_reference(tracker.get_slot("case_reference") or "")
        if reference and "case_proof" in slots:
            try:
                exists, info = cases.check_case(db(), reference, _proof(tracker, None))
            except SQLAlchemyError:
                exists, info = False, None  # the action says what went wrong
            if not exists or info is not None:
                slots.remove("case_proof")
        return slots

    validate_case_reference = slot_validator("case_reference", cases.find_reference,
                                             "utter_case_reference_invalid")

    def validate_case_proof(self, value: Any, dispatcher: CollectingDispatcher,
                            tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        text = " ".join(str(value or "").split())[:200]
        return {"case_proof": text or None}


ActionCaseStatus = answer_after_form(
    "action_case_status", "case_reference", cases.find_reference,
    lambda dispatcher, tracker, reference: answer_case(dispatcher, tracker, reference,
                                                       tracker.get_slot("case_proof")))


# Asks for the postcode or contact detail, and tells the router to keep a typed email or
# number itself (Rasa sees it redacted).
ActionAskCaseProof = say_and_signal("action_ask_case_proof",
                                    lambda _tracker: ("utter_ask_case_proof", {"collect": "proof"}))


# --- planning applications -------------------------------------------------------------------


def answer_planning(dispatcher: CollectingDispatcher, tracker: Tracker,
                    reference: str) -> list[EventType]:
    return answer_lookup(
        dispatcher, tracker, "planning_reference",
        lambda: planning.find_application(db(), reference),
        {"response": "utter_planning_not_found", "reference": reference},
        lambda info: (info.reference, {
            "response": "utter_planning_status", "reference": info.reference,
            "description": info.description.rstrip("."), "address": info.address,
            "status": info.status_in_words()}))


class ValidatePlanningForm(CouncilFormValidation):
    def name(self) -> str:
        return "validate_planning_form"

    validate_planning_reference = slot_validator("planning_reference", planning.find_reference,
                                                 "utter_planning_reference_invalid")


ActionPlanningStatus = answer_after_form("action_planning_status", "planning_reference",
                                         planning.find_reference, answer_planning)


# --- libraries -------------------------------------------------------------------------------


def answer_library(dispatcher: CollectingDispatcher, tracker: Tracker,
                   town: str) -> list[EventType]:
    return answer_lookup(
        dispatcher, tracker, "library", lambda: libraries.find_library(db(), town),
        {"response": "utter_library_not_found", "library": town},
        lambda info: (town, {
            "response": "utter_library_hours", "name": info.name, "address": info.address,
            "hours": info.hours_in_words(), "today": info.today_in_words(dates.today())}))


class ValidateLibraryForm(CouncilFormValidation):
    def name(self) -> str:
        return "validate_library_form"

    validate_library = slot_validator("library", libraries.match_town, "utter_library_invalid")


ActionLibraryHours = answer_after_form("action_library_hours", "library", libraries.match_town,
                                       answer_library)


# --- contact-centre hours --------------------------------------------------------------------


class ActionContactHours(Action):
    """Hours from env OPENING_HOURS (the web app's setting), default Mon-Fri 09:00-17:00."""

    def name(self) -> str:
        return "action_contact_hours"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(response="utter_contact_hours", hours=describe_opening_hours())
        return []


# --- a bare postcode, reference or library name outside a form --------------------------------


class ActionInform(Action):
    """Answer what the resident gave us: a postcode (bin days), a case or planning reference,
    or a library. Anything else: ask what they would like to do with it."""

    def name(self) -> str:
        return "action_inform"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        found = lookup_in(latest_entities(tracker))
        if found and found.kind == "case_reference":
            # "HC-100001 HR1 1HR" proves it at once; a bare reference asks for proof.
            try:
                exists, info = cases.check_case(db(), found.value,
                                                _proof(tracker, latest_text(tracker)))
            except SQLAlchemyError:
                return system_failure(dispatcher, tracker)
            if info is not None or not exists:
                return answer_case(dispatcher, tracker, found.value, latest_text(tracker))
            return [SlotSet("case_reference", found.value), SlotSet("case_proof", None),
                    FollowupAction("case_status_form")]
        if found and found.kind == "planning_reference":
            return answer_planning(dispatcher, tracker, found.value)
        if found and found.kind == "postcode":
            return answer_bin_days(dispatcher, tracker, found.value)
        if found and found.kind == "library":
            return answer_library(dispatcher, tracker, found.value)
        # A bare phrase that plainly names a service ("the leisure centre") gets its answer;
        # anything less sure asks what to do with it (decide_for: no choices for "inform").
        decision = decide_for(index_for(catalogue.current_catalogue()), latest_text(tracker),
                              "inform")
        if decision.kind == "answer":
            return catalogue.respond(dispatcher, tracker, decision)
        dispatcher.utter_message(response="utter_inform_unclear")
        return []
