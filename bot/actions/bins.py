"""Bin days: bin_day_form asks for the postcode, then action_bin_collection_day answers."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.common import answer_lookup, db, latest_entity
from bot.actions.forms import CouncilFormValidation, answer_after_form, slot_validator
from services import dates
from services.bins import find_collections, normalise_bin_type
from services.postcodes import find_postcode


def answer_bin_days(dispatcher: CollectingDispatcher, tracker: Tracker,
                    postcode: str) -> list[EventType]:
    """Tell the next collection of each bin type (or just the one asked about)."""
    only = normalise_bin_type(latest_entity(tracker, "bin_type"))
    return answer_lookup(
        dispatcher, tracker, "postcode", lambda: find_collections(db(), postcode, dates.today()),
        {"response": "utter_bin_no_round", "postcode": postcode},
        lambda lookup: (lookup.postcode, {
            "response": "utter_bin_days", "postcode": lookup.postcode,
            "collections": lookup.describe(on=dates.today(), only=only)}))


class ValidateBinDayForm(CouncilFormValidation):
    def name(self) -> str:
        return "validate_bin_day_form"

    validate_postcode = slot_validator("postcode", find_postcode, "utter_postcode_invalid")


ActionBinCollectionDay = answer_after_form("action_bin_collection_day", "postcode",
                                           find_postcode, answer_bin_days)
