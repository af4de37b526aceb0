"""Not understood (NLU fallback) and "say that again" (repeat)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import catalogue
from bot.actions.common import leave_form, send_handoff

FALLBACK_ACTION = "action_nlu_fallback"
_BOOKKEEPING = {"action_listen", "action_extract_slots", "action_session_start"}


def _turns(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Split the event log into user turns: {"intent", "actions", "bot"} in order."""
    turns: list[dict[str, Any]] = []
    for event in events:
        kind = event.get("event")
        if kind == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            turns.append({"intent": intent, "actions": [], "bot": []})
        elif kind == "session_started":
            turns = []
        elif turns and kind == "action" and event.get("name") not in _BOOKKEEPING:
            turns[-1]["actions"].append(event.get("name"))
        elif kind == "bot" and turns:
            turns[-1]["bot"].append(event)
    return turns


def _handed_over(turn: dict[str, Any]) -> bool:
    return any("handoff" in ((b.get("data") or {}).get("custom") or {}) for b in turn["bot"])


class ActionNluFallback(Action):
    """The intents were unsure. If the service catalogue is sure (stricter than usual) or has
    two or three close services, answer from it. Otherwise the first time ask to rephrase and
    offer a person (button), the second in a row hand over; either way the question is logged
    as unanswered for the council's content team."""

    def name(self) -> str:
        return FALLBACK_ACTION

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        decision = catalogue.decide(tracker, catalogue.current_catalogue())
        if decision.kind != "unknown":
            return leave_form(tracker) + catalogue.respond(dispatcher, tracker, decision)
        turns = _turns(tracker.events)
        previous = turns[-2] if len(turns) >= 2 else None
        in_a_row = (
            previous is not None
            and previous["intent"] == "nlu_fallback"
            and previous["actions"][:1] == [FALLBACK_ACTION]
            and not _handed_over(previous)
        )
        if in_a_row:
            dispatcher.utter_message(response="utter_handoff_not_understood")
            send_handoff(dispatcher, tracker, "not_understood", 3)
            catalogue.unanswered_signal(dispatcher, decision)
            return leave_form(tracker)
        dispatcher.utter_message(response="utter_rephrase")
        catalogue.unanswered_signal(dispatcher, decision)
        return []


def last_bot_messages(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The bot's text messages in its most recent answer before the latest user message."""
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=None)
    history = events if last_user is None else events[:last_user]
    collected: list[dict[str, Any]] = []
    for event in reversed(history):
        if event.get("event") == "user" and collected:
            break
        if event.get("event") == "bot" and event.get("text"):
            collected.append(event)
    return list(reversed(collected))


class ActionRepeat(Action):
    """Say the last answer again (text and buttons; never re-send a signal).

    Inside a form this says nothing: the form asks its question again straight after."""

    def name(self) -> str:
        return "action_repeat"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        if tracker.active_loop_name:
            return []
        messages = last_bot_messages(tracker.events)
        if not messages:
            dispatcher.utter_message(response="utter_nothing_to_repeat")
            return []
        for message in messages:
            buttons = (message.get("data") or {}).get("buttons") or []
            dispatcher.utter_message(text=message["text"], buttons=buttons)
        return []
