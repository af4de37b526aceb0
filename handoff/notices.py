"""How a handover is worded in text (the transcript, the web chat and SMS).

The router hands channels a `Handover` as data (why, the ticket, the queue status). Text
channels show `text_notices()`, which is also what the transcript stores; the phone words the
same data itself in channels/phone_prompts.py. Nothing is written for one channel and removed
by another.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from handoff.availability import OpeningHours, QueueStatus

TEXT_FAILURE = (
    "Sorry, our automated assistant is not working right now. "
    "I am passing you to a person instead."
)
TEXT_OPTED_OUT = (
    "You told us you do not want to use the automated assistant, "
    "so I am passing you straight to a person."
)
TEXT_NOT_UNDERSTOOD = "Sorry, I am not understanding you. I am passing you to a person."


class HandoverCause(StrEnum):
    """Why the conversation went to people: each channel chooses its own words for it."""

    ASSISTANT = "assistant"                # the assistant decided (its own words came first)
    REQUESTED = "requested"                # the resident asked (a button, keypad 0, PERSON)
    OPTED_OUT = "opted_out"                # a standing choice not to use the assistant
    ASSISTANT_FAILED = "assistant_failed"  # Rasa down, or it said nothing
    NOT_UNDERSTOOD = "not_understood"      # turn-taking: failed turns in a row


@dataclass(frozen=True)
class Handover:
    reason: str          # the ticket's reason code (core.vocabulary.HANDOFF_REASONS)
    cause: HandoverCause
    ticket_id: int
    queue: QueueStatus


PREFACES = {
    HandoverCause.ASSISTANT_FAILED: TEXT_FAILURE,
    HandoverCause.OPTED_OUT: TEXT_OPTED_OUT,
    HandoverCause.NOT_UNDERSTOOD: TEXT_NOT_UNDERSTOOD,
}


def handoff_notice(status: QueueStatus, hours: OpeningHours) -> str:
    """Pure: what we tell a resident in text once they are in the advisors' queue."""
    if not status.open_now:
        return (
            f"Our advisors are not working right now. They are here {hours.describe()}. "
            "You can ask us to call you back, and we will keep what you have told us."
        )
    if status.advisors_available == 0:
        return (
            "I have added you to the queue, but no advisor is free right now. "
            "You can wait, or ask us to call you back."
        )
    minutes = status.expected_wait_minutes or 1
    unit = "minute" if minutes == 1 else "minutes"
    return (
        f"I have passed you to a person. You are number {status.position} in the queue. "
        f"The wait is about {minutes} {unit}. They will see what you have told me."
    )


def text_notices(handover: Handover, hours: OpeningHours) -> list[str]:
    """The sentences a text channel shows for a handover, in order."""
    preface = PREFACES.get(handover.cause)
    return ([preface] if preface else []) + [handoff_notice(handover.queue, hours)]


CHOICE_NOTED = {
    "data_use": "We have noted that you do not want us to keep or use your conversations.",
    "automated_assistant": (
        "We have noted that you do not want to use the automated assistant. "
        "You will talk to a person."
    ),
    "call_recording": "We have noted that you do not want your calls recorded.",
    "sms": "We have noted that you do not want text messages from us.",
}


def choice_noted(scope: str) -> str:
    """What a resident is told when an opt-out they typed to a person is recorded."""
    return CHOICE_NOTED.get(scope, "We have noted your choice.")
