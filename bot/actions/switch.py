"""A change of topic in the middle of a look-up form: "actually, I want to report a pothole"
while asked for a postcode. The form is left (its question is not answered with that text:
bot/domain.yml keeps these intents out of the form's slots) and the new task starts
(data/rules.yml, "Switch from ...")."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.common import latest_intent, leave_form

REPORT_KINDS = {
    "report_missed_bin": "missed_bin",
    "report_pothole": "pothole",
    "report_fly_tipping": "fly_tipping",
    "report_streetlight": "streetlight",
}


class ActionSwitchTopic(Action):
    def name(self) -> str:
        return "action_switch_topic"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        events = leave_form(tracker)
        kind = REPORT_KINDS.get(latest_intent(tracker) or "")
        if kind:
            # report_kind is only set from the intent outside a form (bot/domain.yml).
            events.append(SlotSet("report_kind", kind))
        return events
