"""Hand-over to a person. Each action ends with the handoff SIGNAL the router acts on:
`{"handoff": {"reason", "priority", "summary": {"intent", "slots", "entities", "topic"}}}`.
Priority 1 is most urgent (safeguarding), 2 high (housing, system failure), 3 normal.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.catalogue import PERSON, channel_of, current_catalogue
from bot.actions.common import CONCERN_CHECK, leave_form, send_handoff
from services.catalogue import Service


class _Handoff(Action, ABC):
    response = ""
    reason = "requested"
    priority = 3

    @abstractmethod
    def name(self) -> str: ...

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(response=self.response)
        send_handoff(dispatcher, tracker, self.reason, self.priority)
        return leave_form(tracker)


class ActionHandoffHuman(_Handoff):
    """The resident asked for a person."""

    response, reason, priority = "utter_handoff_requested", "requested", 3

    def name(self) -> str:
        return "action_handoff_human"


class ActionSafeguarding(_Handoff):
    """Someone may be at risk: 999 and the safeguarding lines FIRST, then the most urgent
    hand-over (Herefordshire's published numbers: children 01432 260800, adults 0800 234 6034).

    When the NLU is unsure (a small safeguarding share, and the catalogue offers a service it
    may be about: "is my child entitled to free school meals"), 999 comes first and the
    resident is asked "Is someone at risk of harm?": yes reaches the urgent queue, no gets
    that service's answer (rules.yml), and a person is one button away."""

    response, reason, priority = "utter_safeguarding", "safeguarding", 1

    def name(self) -> str:
        return "action_safeguarding"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        service = uncertain_concern(tracker)
        if service is None:
            return await super().run(dispatcher, tracker, domain) + [SlotSet("concern_check",
                                                                              None)]
        buttons = [
            {"title": "Yes, someone is at risk", "payload": "/safeguarding_concern"},
            {"title": f"No, I'm asking about {service.title}",
             "payload": f'/ask_service{{"service": "{service.id}"}}'},
            PERSON,
        ] if channel_of(tracker) == "webchat" else []
        dispatcher.utter_message(response="utter_concern_check", service=service.title,
                                 buttons=buttons)
        return leave_form(tracker) + [
            SlotSet("concern_check", True), SlotSet("service_choices", [service.id]),
            SlotSet("likely_team", service.team), SlotSet("awaiting_feedback", None)]


class ActionConcernConfirmed(ActionSafeguarding):
    """ "Yes" to "Is someone at risk of harm?": a "yes" is never itself uncertain, so this is
    999, the lines and the urgent queue. Its own name lets its rule clear concern_check."""

    def name(self) -> str:
        return "action_concern_confirmed"


def uncertain_concern(tracker: Tracker) -> Service | None:
    """The service an uncertain concern may be about (CatalogueArbiter), else None."""
    check = (tracker.latest_message or {}).get(CONCERN_CHECK) or {}
    if not isinstance(check, dict) or not check.get("service"):
        return None
    return current_catalogue().get(str(check["service"]))


class ActionHousingHelp(_Handoff):
    """Housing problems may mean homelessness: a short answer, then a high-priority hand-over."""

    response, reason, priority = "utter_housing_help", "housing", 2

    def name(self) -> str:
        return "action_housing_help"


class ActionComplaint(_Handoff):
    response, reason, priority = "utter_complaint", "complaint", 3

    def name(self) -> str:
        return "action_complaint"


class ActionHandoffLowConfidence(_Handoff):
    """Rasa's core fallback (RulePolicy core_fallback_action_name): no policy was confident
    about what to do next, so a person takes over rather than a guess."""

    response, reason, priority = "utter_handoff_low_confidence", "not_understood", 3

    def name(self) -> str:
        return "action_handoff_low_confidence"
