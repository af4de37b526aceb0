"""The conversation state machine: the ONE module that changes `Conversation.state`.

Everything else (the router, the advisors' queue, the console) asks `transition()` for a move;
a move that is not in `ALLOWED` is refused with `IllegalTransition`, so a bug cannot quietly
put a conversation somewhere it can never leave (tests/handoff/test_state.py checks, by parsing
every module, that nothing else assigns the state).

    bot ──handoff──▶ waiting ──claim──▶ advisor ──close──▶ closed
     ▲                  ▲                  │ │               │
     │                  └────release───────┘ │               │
     └──────────────────hand back────────────┘               │
     └──────────────────resident writes again────────────────┘
    bot, waiting ──the resident left──▶ abandoned ──writes again / asks for a person──▶
"""

from __future__ import annotations

from core.vocabulary import ConversationState
from storage.models import Conversation, utcnow

BOT = ConversationState.BOT
WAITING = ConversationState.WAITING
ADVISOR = ConversationState.ADVISOR
CLOSED = ConversationState.CLOSED
ABANDONED = ConversationState.ABANDONED

ALLOWED: dict[ConversationState, frozenset[ConversationState]] = {
    BOT: frozenset({WAITING, ABANDONED}),        # handed over to people; left mid-task
    WAITING: frozenset({ADVISOR, ABANDONED}),    # an advisor claimed it; left the queue
    ADVISOR: frozenset({BOT, WAITING, CLOSED}),  # hand back, released, finished
    CLOSED: frozenset({BOT, WAITING}),           # the resident writes again or asks for a person
    ABANDONED: frozenset({BOT, WAITING}),        # they came back
}


class IllegalTransition(RuntimeError):
    """A move the state machine does not allow (a bug in the caller, never resident input)."""

    def __init__(self, conversation_id: str, from_: str, to: str) -> None:
        super().__init__(
            f"conversation {conversation_id[:8]}… cannot go from {from_!r} to {to!r}; "
            f"allowed from {from_!r}: {sorted(ALLOWED.get(state_of(from_), ()))}"
        )
        self.from_, self.to = from_, to


def state_of(value: str | ConversationState | None) -> ConversationState:
    """The stored code as the enum (a new, unsaved conversation counts as with the bot)."""
    return ConversationState(value) if value else BOT


def new(conv: Conversation) -> Conversation:
    """A conversation starts with the assistant."""
    conv.state = BOT.value
    return conv


def can(from_: str | ConversationState, to: ConversationState) -> bool:
    return state_of(from_) == to or to in ALLOWED[state_of(from_)]


def transition(conv: Conversation, to: ConversationState) -> bool:
    """Move `conv` to `to`. Staying where it is is allowed and changes nothing.

    Returns whether the state changed. Raises IllegalTransition for a move not in ALLOWED."""
    current = state_of(conv.state)
    if current == to:
        return False
    if to not in ALLOWED[current]:
        raise IllegalTransition(conv.id or "new", current.value, to.value)
    conv.state = to.value
    if to in (CLOSED, ABANDONED):
        conv.closed_at = utcnow()
    elif current in (CLOSED, ABANDONED):
        conv.closed_at = None
    return True


def is_with_people(conv: Conversation) -> bool:
    """Waiting for, or talking to, an advisor: the assistant stays out of it."""
    return state_of(conv.state) in (WAITING, ADVISOR)
