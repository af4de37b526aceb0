"""What the router hands channels: typed results and snapshots, never dicts or text to strip.

Re-exported by handoff.router, which channels import."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.vocabulary import ConversationState
from handoff.availability import QueueStatus
from handoff.notices import Handover, HandoverCause
from handoff.signals import ChoiceSignal, Reply


@dataclass
class RouteResult:
    """What happened to one resident message or action, as data.

    `assistant` is what the assistant said (every channel says it, in its own way);
    `handover` says whether and why the conversation went to people, with the queue status.
    `notices` are the router's own words for text channels (the same words the transcript
    keeps); the phone ignores them and words `handover` itself."""

    conversation_id: str
    channel: str
    state: ConversationState
    assistant: list[Reply] = field(default_factory=list)
    handover: Handover | None = None
    notices: list[Reply] = field(default_factory=list)
    ticket_id: int | None = None
    queue: QueueStatus | None = None
    recorded_choices: list[ChoiceSignal] = field(default_factory=list)
    intent: str | None = None
    confidence: float | None = None

    @property
    def replies(self) -> list[Reply]:
        """Everything a text channel shows for this turn, in order."""
        return self.assistant + self.notices

    @property
    def handoff_reason(self) -> str | None:
        return self.handover.reason if self.handover else None

    @property
    def assistant_failed(self) -> bool:
        return bool(self.handover and self.handover.cause == HandoverCause.ASSISTANT_FAILED)


@dataclass(frozen=True)
class MessageView:
    id: int
    sender: str
    text: str
    buttons: list[dict[str, str]]
    sent_at: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "sender": self.sender, "text": self.text,
                "buttons": self.buttons, "sent_at": self.sent_at}


@dataclass(frozen=True)
class ConversationSnapshot:
    """One read of a conversation for a channel. `messages` is empty unless asked for."""

    conversation_id: str
    channel: str
    state: ConversationState
    queue: QueueStatus | None
    satisfaction: int | None
    address: str | None
    last_bot_text: str | None
    failed_turns: int
    offered_payloads: tuple[str, ...]
    slow_speech: bool
    last_prompt: str | None
    sms_intro_sent: bool
    callback_requested: bool
    messages: tuple[MessageView, ...] = ()
    satisfaction_asked: bool = False  # we asked for a score by text or keypad (handoff/scores.py)
