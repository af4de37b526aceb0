"""The product's vocabulary: every code that is stored, and the one wording staff see for it.

Stored values live here, at the bottom layer, so the database's check constraints, the router,
the console, the reports and the privacy views all use the same codes and the same labels.
Resident-facing sentences (what we tell someone about their choices) are written where they are
said; these labels are for staff screens, reports and exports."""

from __future__ import annotations

from enum import StrEnum


class ConversationState(StrEnum):
    """Where a conversation is. The allowed moves between them live in handoff/state.py, the
    only module that changes a conversation's state; the database refuses any other value."""

    BOT = "bot"            # the automated assistant is answering
    WAITING = "waiting"    # in the advisors' queue
    ADVISOR = "advisor"    # an advisor has it
    CLOSED = "closed"      # an advisor finished it (the resident may write again)
    ABANDONED = "abandoned"  # the resident left: stopped polling, hung up, never replied


CONVERSATION_STATES = tuple(state.value for state in ConversationState)
ACTIVE_STATES = (ConversationState.WAITING, ConversationState.ADVISOR)  # a person has it, or will

CHANNELS = ("web", "phone", "sms")
SENDERS = ("resident", "bot", "advisor", "system")
HANDOFF_REASONS = (
    "requested",
    "opt_out",
    "not_understood",
    "safeguarding",
    "housing",
    "complaint",
    "system_failure",
)
TICKET_STATUSES = ("queued", "claimed", "closed")
ROLES = ("advisor", "supervisor", "admin")
OPTOUT_SCOPES = ("automated_assistant", "data_use", "call_recording", "sms")
OPTOUT_ACTIONS = ("opt_out", "withdraw")
OPTOUT_METHODS = ("speech", "keypad", "button", "text", "advisor")

CHANNEL_LABELS = {"web": "Web chat", "phone": "Phone", "sms": "Text message"}
REASON_LABELS = {
    "requested": "Asked for a person",
    "opt_out": "Does not want the assistant",
    "not_understood": "Assistant did not understand",
    "safeguarding": "Safeguarding",
    "housing": "Housing",
    "complaint": "Complaint",
    "system_failure": "Assistant not working",
}
SCOPE_LABELS = {
    "automated_assistant": "Use of the automated assistant",
    "data_use": "Keeping and using conversations",
    "call_recording": "Recording calls",
    "sms": "Text messages from us",
}
ACTION_LABELS = {
    "opt_out": "They do not want this (opt out)",
    "withdraw": "They have changed their mind (withdraw an opt-out)",
}
PRIORITY_LABELS = {1: "Urgent", 2: "High", 3: "Normal"}
STATE_LABELS = {
    ConversationState.BOT: "With the assistant",
    ConversationState.WAITING: "Waiting for an advisor",
    ConversationState.ADVISOR: "With an advisor",
    ConversationState.CLOSED: "Closed",
    ConversationState.ABANDONED: "Abandoned",  # as the reports say it
}


def humanise(code: str) -> str:
    """A readable fallback for a code with no label yet: 'system_failure' -> 'System failure'."""
    return code.replace("_", " ").capitalize()
