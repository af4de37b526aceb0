"""Hand-over to a person. Each action ends with the handoff SIGNAL the router acts on:
`{"handoff": {"reason", "priority", "summary": {"intent", "slots", "entities", "topic"}}}`.
Priority 1 is most urgent (safeguarding), 2 high (housing, system failure), 3 normal.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.common import leave_form, send_handoff


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
    hand-over (Herefordshire's published numbers: children 01432 260800, adults 0800 234 6034)."""

    response, reason, priority = "utter_safeguarding", "safeguarding", 1

    def name(self) -> str:
        return "action_safeguarding"


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
