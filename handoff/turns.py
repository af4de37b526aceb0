"""Turn-taking policy, the same for every channel: when a resident is offered a person because
the assistant is not getting through.

A turn fails when nothing was heard (phone silence), when the resident said too much to
handle, or when the assistant did not understand (Rasa's `nlu_fallback`). Two failed turns in
a row hand the conversation to a person; an understood turn starts the count again. Channels
only say which kind of turn it was (`TurnOutcome`); the router keeps the count on the
conversation (`Conversation.failed_turns`) and hands over.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

FAILED_TURNS_BEFORE_PERSON = 2
NOT_UNDERSTOOD_INTENT = "nlu_fallback"
HANDOFF_NOTE = "Two turns in a row were not heard or not understood."


class TurnOutcome(StrEnum):
    UNDERSTOOD = "understood"
    NOT_HEARD = "not_heard"            # silence on the phone
    TOO_LONG = "too_long"              # more than we can take in one message
    NOT_UNDERSTOOD = "not_understood"  # the assistant fell back


@dataclass(frozen=True)
class TurnDecision:
    failed_turns: int       # the new count to store
    offer_person: bool      # hand over to a person now


def outcome_of(intent: str | None) -> TurnOutcome:
    """What the assistant's answer means for turn-taking."""
    return TurnOutcome.NOT_UNDERSTOOD if intent == NOT_UNDERSTOOD_INTENT else TurnOutcome.UNDERSTOOD


def decide(failed_turns: int, outcome: TurnOutcome) -> TurnDecision:
    """Pure: the next count, and whether this turn means the resident should get a person."""
    if outcome == TurnOutcome.UNDERSTOOD:
        return TurnDecision(0, False)
    failures = max(0, failed_turns) + 1
    if failures >= FAILED_TURNS_BEFORE_PERSON:
        return TurnDecision(0, True)  # the count starts again after the handover
    return TurnDecision(failures, False)
