"""Residents' choices: not to use the assistant, not to have their data used to improve it,
changing their mind, and asking what we hold. Each sends a signal the router records in the
append-only register: {"opt_out": {...}}, {"withdraw": {...}} or {"choices": true}."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.common import (
    is_stop_phrase,
    latest_text,
    leave_form,
    say_and_signal,
    send_handoff,
    stop_form,
)

_ABOUT_DATA = re.compile(
    r"\b(data|information|info|details|records?|recording|record|improve|improving|training|"
    r"train|use my|using my|conversations?|chats?)\b",
    re.IGNORECASE,
)


class ActionOptOutAutomation(Action):
    """Record the opt-out, say what happens, and hand over to a person."""

    def name(self) -> str:
        return "action_opt_out_automation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        text = latest_text(tracker)
        if is_stop_phrase(text):
            # A bare "stop" or "cancel" means leave what we're doing, not a lasting choice
            # about the assistant: never put that in the register on a guess.
            if tracker.active_loop_name:
                return stop_form(dispatcher, tracker)
            dispatcher.utter_message(response="utter_form_stopped")
            return []
        dispatcher.utter_message(response="utter_opt_out_automation")
        dispatcher.utter_message(
            json_message={"opt_out": {"scope": "automated_assistant", "utterance": text}}
        )
        send_handoff(dispatcher, tracker, "opt_out", 3)
        return leave_form(tracker)


# Record that this conversation must not be used to improve the service; keep helping.
ActionOptOutDataUse = say_and_signal("action_opt_out_data_use", lambda tracker: (
    "utter_opt_out_data_use",
    {"opt_out": {"scope": "data_use", "utterance": latest_text(tracker)}}))


def _withdraw(tracker: Tracker) -> tuple[str, dict[str, Any]]:
    """The resident changed their mind: about data use if they talk about data, otherwise
    about the automated assistant."""
    if _ABOUT_DATA.search(latest_text(tracker)):
        return "utter_withdraw_data_use", {"withdraw": {"scope": "data_use"}}
    return "utter_withdraw_automation", {"withdraw": {"scope": "automated_assistant"}}


ActionWithdrawOptOut = say_and_signal("action_withdraw_opt_out", _withdraw)
# The router answers with the recorded choices after this message.
ActionAskMyChoices = say_and_signal("action_ask_my_choices",
                                    lambda _tracker: ("utter_my_choices", {"choices": True}))
