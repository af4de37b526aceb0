"""The start of every conversation: say it is an automated assistant and how to reach a person.

On the phone the line's own greeting (channels/phone_prompts.py) has already said both, so the
assistant does not say it again; the router tells us the channel in the session metadata."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

# Kept from an earlier session (session_config carries slots over): handy, not sensitive.
CARRY_OVER = ("postcode", "library")


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        metadata = tracker.get_slot("session_started_metadata") or {}
        if metadata.get("channel") != "phone":
            dispatcher.utter_message(response="utter_intro")
        for name in CARRY_OVER:
            value = tracker.get_slot(name)
            if value is not None:
                events.append(SlotSet(name, value))
        events.append(ActionExecuted("action_listen"))
        return events
