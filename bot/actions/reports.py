"""Reports (missed bin, pothole, fly-tipping, street light): report_form collects the place,
what's wrong and how to keep the resident updated, checks it with them, and then
action_submit_report creates a real case with an HC-nnnnnn reference.

At the check step residents can say yes, correct one part ("change the place", "actually it's
HR2 7JF", "text me instead"), say no (we ask what to change) or say stop.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from bot.actions.common import (
    REPORT_SLOTS,
    channel_of,
    db,
    latest_intent,
    latest_text,
    system_failure,
)
from bot.actions.forms import CouncilFormValidation
from core.redaction import has_marker, marker
from services import contact_details
from services.cases import KINDS, CaseError, caller_number, create_case, spoken_reference
from services.contact_details import email_address, phone_number
from services.matching import first_label
from services.postcodes import find_postcode

_NEGATIVE = re.compile(r"\b(no|none|nope|nah|not|don'?t|do not|nothing|never)\b")
_EMAIL = re.compile(r"\b(e-?mail|mail)\b")
_TEXT = re.compile(r"\b(texts?|sms|txt|message|messages)\b")
_PHONE = re.compile(r"\b(phone|call|calls|ring|telephone|mobile)\b")

_YES = re.compile(
    r"^(yes|yeah|yep|yup|yh|y|ok|okay|sure|correct|right|send|submit|go ahead|fine|perfect|"
    r"all good|looks (good|right|fine)|that'?s (right|correct|fine|it|good))\b"
)
_CHANGE = re.compile(
    r"\b(change|wrong|incorrect|fix|edit|actually|instead|different|mistake|no|not|isn'?t)\b"
)
_PLACE = re.compile(r"\b(place|where|location|address|postcode|post code|road|street|lane)\b")
_CONTACT = re.compile(
    r"\b(contact|contacted|update|updates|updated|e-?mail|phone|texts?|call|ring|sms|how you)\b"
)
_DETAILS = re.compile(
    r"\b(details?|what'?s wrong|description|describe|problem|what happened|bin|pothole|light|"
    r"rubbish)\b"
)


def yes_or_no(text: str, intent: str | None) -> bool | None:
    low = " ".join(text.lower().split())
    if intent == "deny" or _NEGATIVE.search(low):
        return False
    if intent == "affirm" or _YES.match(low):
        return True
    return None


def contact_choice(text: str) -> str | None:
    """'email please' -> 'email'; 'text me' -> 'text message'; 'no thanks' -> 'no updates'."""
    low = text.lower()
    choice = first_label(low, ((_EMAIL, "email"), (_TEXT, "text message"), (_PHONE, "phone")))
    if choice:
        return choice
    if _NEGATIVE.search(low) or "no update" in low:
        return "no updates"
    return None


class ValidateReportForm(CouncilFormValidation):
    no_is_an_answer = frozenset({"contact_preference", "report_confirmed", "reference_text",
                                 "contact_detail"})
    also_clear = ("report_change",)

    def name(self) -> str:
        return "validate_report_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: dict[str, Any]) -> list[str]:
        """Ask for an email address or number only when we need one and don't have it, and
        offer a text with the reference only to callers (whose number we have)."""
        slots = list(domain_slots)
        preference = tracker.get_slot("contact_preference")
        channel = channel_of(tracker)
        needs_detail = preference == "email" or (
            preference in ("text message", "phone") and channel not in ("phone", "sms")
        )
        if not needs_detail and "contact_detail" in slots:
            slots.remove("contact_detail")
        if (channel != "phone" or preference == "text message") and "reference_text" in slots:
            slots.remove("reference_text")
        return slots

    def validate_location(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                          domain: dict[str, Any]) -> dict[str, Any]:
        text = " ".join(str(value or "").split())
        words = re.findall(r"[A-Za-z0-9']+", text)
        if find_postcode(text) or (len(words) >= 2 and len(text) >= 5):
            return {"location": text[:500], "report_change": None}
        dispatcher.utter_message(response="utter_location_too_short")
        return {"location": None}

    def validate_details(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: dict[str, Any]) -> dict[str, Any]:
        text = " ".join(str(value or "").split())
        if not re.search(r"[A-Za-z0-9]", text):
            return {"details": None}
        return {"details": text[:2000], "report_change": None}

    def validate_contact_preference(self, value: Any, dispatcher: CollectingDispatcher,
                                    tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        choice = contact_choice(str(value or ""))
        if choice is None and latest_intent(tracker) == "deny":
            choice = "no updates"
        if choice is None:
            dispatcher.utter_message(response="utter_contact_preference_invalid")
        result: dict[str, Any] = {"contact_preference": choice, "report_change": None}
        if choice != tracker.get_slot("contact_preference") or choice is None:
            result["contact_detail"] = None  # an email address is no use for texts
        return result

    def validate_contact_detail(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        text = str(value or "")
        if contact_choice(text) == "no updates" and not re.search(r"\d|@", text):
            return {"contact_detail": None, "contact_preference": "no updates"}
        kind = "email" if tracker.get_slot("contact_preference") == "email" else "phone"
        placeholder = marker(kind)
        if placeholder in text:
            # The router kept the address itself (Rasa only ever sees this placeholder).
            detail: str | None = placeholder
        else:
            detail = email_address(text) if kind == "email" else phone_number(text)
        if detail is None:
            dispatcher.utter_message(response="utter_contact_detail_invalid")
        return {"contact_detail": detail, "report_change": None}

    def validate_reference_text(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        answer = value if isinstance(value, bool) else yes_or_no(
            latest_text(tracker) or str(value or ""), latest_intent(tracker))
        if answer is None:
            dispatcher.utter_message(response="utter_contact_preference_invalid")
        return {"reference_text": answer}

    def validate_report_confirmed(self, value: Any, dispatcher: CollectingDispatcher,
                                  tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        if value is True:
            return {"report_confirmed": True, "report_change": None}
        if "location" in tracker.slots_to_validate():
            # "actually it's HR2 7JF": the postcode already replaced the place; check again.
            return {"report_confirmed": None, "report_change": None}
        low = " ".join(str(value or "").lower().split())
        wants_change = bool(_CHANGE.search(low))
        if not wants_change and (latest_intent(tracker) == "affirm" or _YES.match(low)):
            return {"report_confirmed": True, "report_change": None}
        if _PLACE.search(low):
            return {"report_confirmed": None, "location": None, "report_change": None}
        if _CONTACT.search(low):
            choice = contact_choice(low)
            if choice is not None and choice != "no updates":
                return {"report_confirmed": None, "contact_preference": choice,
                        "contact_detail": None, "report_change": None}
            return {"report_confirmed": None, "contact_preference": None, "contact_detail": None,
                    "report_change": None}
        if _DETAILS.search(low):
            return {"report_confirmed": None, "details": None, "report_change": None}
        # "no", or something we can't place: ask what to change.
        return {"report_confirmed": None, "report_change": True}


class ActionSubmitReport(Action):
    """Runs when report_form ends. Creates the case if the resident confirmed it; if they
    stopped, says nothing was sent. Either way the form's slots are cleared."""

    def name(self) -> str:
        return "action_submit_report"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        location = tracker.get_slot("location")
        details = tracker.get_slot("details")
        preference = tracker.get_slot("contact_preference")
        clear: list[EventType] = [SlotSet(name, None) for name in REPORT_SLOTS]
        confirmed = tracker.get_slot("report_confirmed") is True
        if not (location and details and preference and confirmed):
            dispatcher.utter_message(response="utter_report_stopped")
            return clear
        kind = tracker.get_slot("report_kind")
        detail = tracker.get_slot("contact_detail")
        try:
            if has_marker(detail):
                detail = contact_details.take(db(), tracker.sender_id)
            _channel, caller = caller_number(db(), tracker.sender_id)
            email = detail if detail and "@" in detail else None
            phone = detail if detail and not email else caller
            case = create_case(
                db(), kind=kind if kind in KINDS else "other", location=location, details=details,
                contact_preference=preference, postcode=find_postcode(location),
                conversation_id=tracker.sender_id, contact_email=email, contact_phone=phone,
                text_reference=tracker.get_slot("reference_text") is True and bool(phone),
            )
        except (SQLAlchemyError, CaseError):
            return system_failure(dispatcher, tracker) + clear
        dispatcher.utter_message(
            response="utter_report_created", reference=case.reference,
            reference_spoken=spoken_reference(case.reference),
        )
        return clear + [SlotSet("case_reference", case.reference)]


class ActionAskContactDetail(Action):
    """Asks for the email address or number, and tells the router to keep the answer itself:
    Rasa only ever sees it redacted (services/contact_details.py)."""

    def name(self) -> str:
        return "action_ask_contact_detail"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        kind = "email" if tracker.get_slot("contact_preference") == "email" else "phone"
        dispatcher.utter_message(response="utter_ask_contact_detail")
        dispatcher.utter_message(json_message={"collect": kind})
        return []
