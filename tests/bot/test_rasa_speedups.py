"""bot/rasa_speedups.py changes how fast Rasa works, never what it does."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import text

from bot import rasa_speedups

ROOT = Path(__file__).resolve().parents[2]
GOOD_REPLY = {"events": [{"event": "slot", "name": "postcode", "value": "HR4 9AB"}],
              "responses": [{"text": "Your bins are collected on Tuesday."}]}


@pytest.fixture(autouse=True)
def applied():
    rasa_speedups.apply()


def test_action_replies_are_still_validated_against_rasas_schema():
    action = RemoteAction("action_bin_collection_day", None)
    assert action._validate_action_result(GOOD_REPLY) is True
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": "not a list", "responses": []})


def test_the_schema_is_checked_once_not_on_every_action_call():
    assert rasa_speedups.action_reply_validator() is rasa_speedups.action_reply_validator()


def test_the_saved_tracker_is_captured_only_inside_the_block():
    domain = Domain.load(str(ROOT / "bot" / "domain.yml"))
    store = InMemoryTrackerStore(domain)
    processor = SimpleNamespace(tracker_store=store)
    tracker = DialogueStateTracker.from_events(
        "resident-1", [UserUttered("hello"), SlotSet("postcode", "HR4 9AB")], domain.slots
    )

    async def handle() -> list[DialogueStateTracker]:
        with rasa_speedups.capture_tracker() as saved:
            await rasa_speedups.save_tracker(processor, tracker)
        await rasa_speedups.save_tracker(processor, tracker)  # outside: not collected
        return saved

    saved = asyncio.run(handle())
    assert saved == [tracker]
    stored = asyncio.run(store.retrieve("resident-1"))
    assert stored.get_slot("postcode") == "HR4 9AB"  # Rasa's own save still happened


def test_sqlite_tracker_store_uses_wal_without_an_fsync_per_turn(tmp_path):
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.db"))
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    store.engine.dispose()



def test_rasa_is_the_version_the_patches_were_written_for():
    """Fails loudly on a Rasa upgrade: the patches replace private internals. Re-read each one
    against the new Rasa's source (and re-measure with `make bench`), then update PATCHED_FOR."""
    import rasa

    assert rasa.__version__ == rasa_speedups.PATCHED_FOR, (
        f"Rasa is now {rasa.__version__}; bot/rasa_speedups.py was written for "
        f"{rasa_speedups.PATCHED_FOR} and is switched off until it is re-checked"
    )


def test_the_internals_the_patches_replace_still_exist_with_the_same_shape():
    import inspect

    from rasa.core.processor import MessageProcessor

    assert list(inspect.signature(rasa_speedups._original_save_tracker).parameters) == \
        ["self", "tracker"]
    assert inspect.iscoroutinefunction(rasa_speedups._original_save_tracker)
    assert "engine" in inspect.getsource(rasa_speedups._original_tracker_store_init)
    assert hasattr(RemoteAction, "action_response_format_spec")
    assert MessageProcessor.save_tracker is rasa_speedups.save_tracker


def test_another_rasa_version_runs_unpatched(monkeypatch, caplog):
    from rasa.core.processor import MessageProcessor

    monkeypatch.setattr(MessageProcessor, "save_tracker", rasa_speedups._original_save_tracker)
    assert rasa_speedups.apply("3.7.0") is False
    assert MessageProcessor.save_tracker is rasa_speedups._original_save_tracker
    assert "running without bot/rasa_speedups.py" in caplog.text
