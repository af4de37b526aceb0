"""Test doubles for the two external services: the Rasa server and the Twilio REST client."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from handoff.rasa_client import AssistantTurn, AssistantUnavailable


class FakeRasa:
    """Answers like our Rasa input channel would. Script replies per text, or a default.

    fake.reply_to("hello", [{"text": "Hello"}], intent="greet")
    fake.fail = True   # behaves like Rasa being down
    """

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.scripted: dict[str, AssistantTurn] = {}
        self.fail = False
        self.handler: Callable[[str, str, str, dict], AssistantTurn] | None = None
        self.healthy = True

    def reply_to(
        self,
        text: str,
        messages: list[dict],
        intent: str | None = None,
        confidence: float = 0.95,
        slots: dict | None = None,
    ) -> None:
        self.scripted[text.lower()] = AssistantTurn(
            messages=messages, intent=intent, confidence=confidence, slots=slots or {}
        )

    def send(
        self, channel: str, sender_id: str, text: str, metadata: dict | None = None
    ) -> AssistantTurn:
        self.calls.append(
            {"channel": channel, "sender": sender_id, "text": text, "metadata": metadata or {}}
        )
        if self.fail:
            raise AssistantUnavailable("fake Rasa is down")
        if self.handler:
            return self.handler(channel, sender_id, text, metadata or {})
        turn = self.scripted.get(text.lower())
        if turn is None:
            return AssistantTurn(
                messages=[{"text": f"You said: {text}"}], intent="out_of_scope", confidence=0.9
            )
        return turn

    def status(self) -> bool:
        return self.healthy


@dataclass
class RecordedCall:
    kind: str
    args: dict[str, Any]


@dataclass
class FakeTwilio:
    """Records the REST requests the app makes (messages.create, calls(sid).update)."""

    requests: list[RecordedCall] = field(default_factory=list)
    fail: bool = False

    @property
    def messages(self) -> FakeTwilio:
        return _Messages(self)  # type: ignore[return-value]

    def calls(self, sid: str | None = None) -> _Call:
        return _Call(self, sid)


class _Messages:
    def __init__(self, owner: FakeTwilio) -> None:
        self.owner = owner

    def create(self, **kwargs: Any) -> Any:
        if self.owner.fail:
            raise RuntimeError("Twilio refused the message")
        self.owner.requests.append(RecordedCall("messages.create", kwargs))
        return type("Msg", (), {"sid": f"SM{len(self.owner.requests):032d}"})()


class _Call:
    def __init__(self, owner: FakeTwilio, sid: str | None) -> None:
        self.owner, self.sid = owner, sid

    def update(self, **kwargs: Any) -> Any:
        if self.owner.fail:
            raise RuntimeError("Twilio refused the call update")
        self.owner.requests.append(RecordedCall("calls.update", {"sid": self.sid, **kwargs}))
        return type("Call", (), {"sid": self.sid})()

    def create(self, **kwargs: Any) -> Any:
        self.owner.requests.append(RecordedCall("calls.create", kwargs))
        return type("Call", (), {"sid": f"CA{len(self.owner.requests):032d}"})()
