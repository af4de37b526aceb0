"""Bin days: bin_day_form asks for the postcode, then action_bin_collection_day answers."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from bot.actions.common import db, latest_entity, system_failure
from bot.actions.forms import CouncilFormValidation
from services import dates
from services.bins import find_collections, normalise_bin_type
from services.postcodes import find_postcode


def answer_bin_days(dispatcher: CollectingDispatcher, tracker: Tracker,
                    postcode: str) -> list[EventType]:
    """Tell the next collection of each bin type (or just the one asked about)."""
    try:
        lookup = find_collections(db(), postcode, dates.today())
    except SQLAlchemyError:
        return system_failure(dispatcher, tracker)
    if lookup is None:
        dispatcher.utter_message(response="utter_bin_no_round", postcode=postcode)
        return [SlotSet("postcode", None)]
    only = normalise_bin_type(latest_entity(tracker, "bin_type"))
    dispatcher.utter_message(
        response="utter_bin_days",
        postcode=lookup.postcode,
        collections=lookup.describe(on=dates.today(), only=only),
    )
    return [SlotSet("postcode", lookup.postcode)]


class ValidateBinDayForm(CouncilFormValidation):
    def name(self) -> str:
        return "validate_bin_day_form"

    def validate_postcode(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                          domain: dict[str, Any]) -> dict[str, Any]:
        postcode = find_postcode(str(value or ""))
        if postcode is None:
            dispatcher.utter_message(response="utter_postcode_invalid")
        return {"postcode": postcode}


class ActionBinCollectionDay(Action):
    def name(self) -> str:
        return "action_bin_collection_day"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        postcode = find_postcode(tracker.get_slot("postcode") or "")
        if postcode is None:  # the resident stopped the form
            dispatcher.utter_message(response="utter_form_stopped")
            return []
        return answer_bin_days(dispatcher, tracker, postcode)
