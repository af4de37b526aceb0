"""Fixtures for the bot's custom actions: a migrated SQLite database with the sample data,
the domain as Rasa sends it to the action server, and rasa_sdk Trackers built from a message."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

DOMAIN_FILE = Path(__file__).resolve().parents[2] / "bot" / "domain.yml"


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return yaml.safe_load(DOMAIN_FILE.read_text())


@pytest.fixture
def bot_db(sample_db):
    """The action server's database: the sample data, found by DATABASE_URL (tests/conftest.py)."""
    return sample_db


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture(scope="module")
def sample_index():
    """The retrieval index of the shipped sample catalogue (built once a module)."""
    from services.catalogue import load_sample
    from services.catalogue_search import index_for

    return index_for(load_sample())


def intent_ranking(*pairs: tuple[str, float]) -> list[dict]:
    """An NLU intent ranking, best first: intent_ranking(("ask_service", 0.6), ...)."""
    return [{"name": n, "confidence": c} for n, c in pairs]


def user_event(
    text: str, intent: str | None, entities: list[dict] | None = None, channel: str = "webchat"
) -> dict[str, Any]:
    return {
        "event": "user",
        "text": text,
        "input_channel": channel,
        "parse_data": {
            "text": text,
            "intent": {"name": intent, "confidence": 0.9},
            "entities": entities or [],
        },
    }


def bot_event(
    text: str | None = None, buttons: list | None = None, custom: dict | None = None
) -> dict[str, Any]:
    return {"event": "bot", "text": text, "data": {"buttons": buttons, "custom": custom}}


def action_event(name: str) -> dict[str, Any]:
    return {"event": "action", "name": name}


def make_tracker(
    text: str = "",
    intent: str | None = None,
    *,
    entities: list[dict] | None = None,
    slots: dict[str, Any] | None = None,
    history: list[dict] | None = None,
    active_loop: str | None = None,
    channel: str = "webchat",
    candidates: dict[str, Any] | None = None,
    sender_id: str = "conv-1",
) -> Tracker:
    """A tracker whose latest message is `text` / `intent`, after the `history` events.

    `candidates` are slot values Rasa extracted from this message for a form to validate
    (slot events at the end of the log, as Rasa sends them to validate_<form>)."""
    latest = user_event(text, intent, entities, channel)
    all_slots = {"requested_slot": None}
    all_slots.update(slots or {})
    all_slots.update(candidates or {})
    slot_events = [{"event": "slot", "name": k, "value": v} for k, v in (candidates or {}).items()]
    return Tracker(
        sender_id=sender_id,
        slots=all_slots,
        latest_message=latest["parse_data"] | {"text": text},
        events=list(history or []) + [latest, action_event("action_extract_slots")] + slot_events,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def responses(dispatcher: CollectingDispatcher) -> list[str | None]:
    return [m.get("response") for m in dispatcher.messages]


def signals(dispatcher: CollectingDispatcher) -> list[dict]:
    return [m["custom"] for m in dispatcher.messages if m.get("custom")]


def run(action, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
    """Run an action (they are coroutines) and return its events."""
    return asyncio.run(action.run(dispatcher, tracker, domain))
