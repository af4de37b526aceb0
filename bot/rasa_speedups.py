"""Measured speed-ups for the Rasa server process, applied when Rasa loads our input channels.

Profiled with py-spy under `make bench` (see README, "Performance"):
- Rasa 3.6 checks every action server reply with `jsonschema.validate()`, which first checks
  the schema itself against the JSON Schema meta-schema, on every call: about 15% of the
  server's CPU per message. We validate each reply against the same schema, with the same
  errors, but build the validator once.
- Our input channel answers with the slots and the NLU result as well as the messages. It read
  them by loading the conversation from the tracker store a second time; `capture_tracker()`
  hands it the tracker Rasa has just saved instead (a third of the tracker store's cost).
- The embedded SQLite tracker store commits in WAL mode with synchronous=NORMAL: durable when
  a process crashes, and no fsync per turn. The application database (messages, opt-outs,
  cases) keeps the default FULL: what we acknowledge to residents survives a power cut.

These replace private Rasa internals, so they are applied only to the Rasa version they were
written and measured against (`PATCHED_FOR`). Any other version runs unpatched (correct, a little
slower) with a warning in Rasa's log; tests/bot/test_rasa_speedups.py fails until someone has
re-checked each patch against the new version's source and updated `PATCHED_FOR`.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any

from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa import __version__ as RASA_VERSION
from rasa.core.actions.action import RemoteAction
from rasa.core.processor import MessageProcessor
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import event

log = logging.getLogger(__name__)
# The Rasa release whose private internals (RemoteAction._validate_action_result,
# MessageProcessor.save_tracker, SQLTrackerStore.__init__ and its `engine`) these patches match.
PATCHED_FOR = "3.6.21"

_saved_trackers: ContextVar[list[DialogueStateTracker] | None] = ContextVar(
    "saved_trackers", default=None
)
_original_save_tracker = MessageProcessor.save_tracker
_original_tracker_store_init = SQLTrackerStore.__init__


@cache
def action_reply_validator() -> Validator:
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once per process, not once per action call
    return cls(schema)


def validate_action_result(_action: RemoteAction, result: dict[str, Any]) -> bool:
    """Drop-in for RemoteAction._validate_action_result: True, or raises ValidationError."""
    error = best_match(action_reply_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from "
        f"the Action endpoint is valid. For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


async def save_tracker(self: MessageProcessor, tracker: DialogueStateTracker) -> None:
    await _original_save_tracker(self, tracker)
    captured = _saved_trackers.get()
    if captured is not None:
        captured.append(tracker)


@contextmanager
def capture_tracker() -> Iterator[list[DialogueStateTracker]]:
    """Within this block (and the asyncio task running it), trackers Rasa saves are collected
    in the yielded list: the last one is the conversation as this message left it."""
    captured: list[DialogueStateTracker] = []
    token = _saved_trackers.set(captured)
    try:
        yield captured
    finally:
        _saved_trackers.reset(token)


def sqlite_tracker_pragmas(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def tracker_store_init(self: SQLTrackerStore, *args: Any, **kwargs: Any) -> None:
    _original_tracker_store_init(self, *args, **kwargs)
    if self.engine.dialect.name == "sqlite":  # this engine only: never the app's database
        event.listen(self.engine, "connect", sqlite_tracker_pragmas)


def applies_to(version: str) -> bool:
    return version == PATCHED_FOR


def apply(version: str = RASA_VERSION) -> bool:
    """Idempotent: install the changes above in this (the Rasa server's) process.

    Returns False, patching nothing, on a Rasa version the patches were not checked against."""
    if not applies_to(version):
        log.warning("Rasa %s is not %s: running without bot/rasa_speedups.py (re-check the "
                    "patches against the new version, then update PATCHED_FOR)",
                    version, PATCHED_FOR)
        return False
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    MessageProcessor.save_tracker = save_tracker  # type: ignore[method-assign]
    SQLTrackerStore.__init__ = tracker_store_init  # type: ignore[method-assign]
    return True
