"""What every form shares: "stop" (or a short "no") leaves it, whatever question it asked.

Rasa fills the requested slot from any text except the interruption intents (see `not_intent`
in bot/domain.yml), so a stop word reaches validation. Validation then clears the form's slots
and sets requested_slot to None: the form ends, and the action that follows it (bins, case
status, ..., submit report) sees empty slots and says it has stopped.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from bot.actions.common import REQUESTED_SLOT, is_stop_phrase, latest_intent, latest_text

_LEAVE_INTENTS = {"deny", "goodbye"}


class CouncilFormValidation(FormValidationAction):
    # Slots where a "no" is an answer, not a wish to stop (e.g. "no thanks" to updates).
    no_is_an_answer: frozenset[str] = frozenset()
    # Extra slots to clear when the resident stops.
    also_clear: tuple[str, ...] = ()

    @abstractmethod
    def name(self) -> str: ...

    def wants_to_stop(self, tracker: Tracker) -> bool:
        requested = tracker.get_slot(REQUESTED_SLOT)
        if not requested or tracker.active_loop_name != self.form_name():
            return False  # activation: the message started the form, it cannot stop it
        text = latest_text(tracker)
        if is_stop_phrase(text):
            return True
        short = len(re.findall(r"\w+", text)) <= 4
        return (latest_intent(tracker) in _LEAVE_INTENTS and short
                and requested not in self.no_is_an_answer)

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        if self.wants_to_stop(tracker):
            names = list(self.domain_slots(domain)) + list(self.also_clear)
            return [SlotSet(name, None) for name in names] + [SlotSet(REQUESTED_SLOT, None)]
        return await super().run(dispatcher, tracker, domain)


# --- look-up forms: ask for one thing, then answer from it ---------------------------------


def slot_validator(slot: str, parse: Callable[[str], str | None], invalid: str) -> Callable:
    """A form's `validate_<slot>` method: the answer as `parse` reads it, or None (the form asks
    again) after saying the `invalid` response."""

    def validate(self: FormValidationAction, value: Any, dispatcher: CollectingDispatcher,
                 tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        parsed = parse(str(value or ""))
        if parsed is None:
            dispatcher.utter_message(response=invalid)
        return {slot: parsed}

    return validate


def answer_after_form(
    action_name: str, slot: str, parse: Callable[[str], str | None],
    answer: Callable[[CollectingDispatcher, Tracker, str], list[EventType]],
) -> type[Action]:
    """The action that follows a look-up form: answers from the slot the form filled, or says
    the form stopped (the resident left it, so the slot is empty)."""

    class AnswerAfterForm(Action):
        def name(self) -> str:
            return action_name

        async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                      domain: dict[str, Any]) -> list[EventType]:
            value = parse(tracker.get_slot(slot) or "")
            if value is None:  # the resident stopped the form
                dispatcher.utter_message(response="utter_form_stopped")
                return []
            return answer(dispatcher, tracker, value)

    return AnswerAfterForm
