"""Talks to the Rasa server over HTTP through our named input channels (webchat, phone, sms)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests

# Our channel names -> the Rasa input channel each posts to (see bot/input_channels.py).
RASA_CHANNELS = {"web": "webchat", "phone": "phone", "sms": "sms"}


class AssistantUnavailable(RuntimeError):
    """Rasa (or the action server behind it) failed, was slow or answered nonsense."""


@dataclass
class AssistantTurn:
    """What Rasa said back for one resident message, parsed from our channel's envelope."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    intent: str | None = None
    confidence: float | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    slots: dict[str, Any] = field(default_factory=dict)


class RasaClient:
    def __init__(self, base_url: str, token: str, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        # One pooled HTTP session per process keeps latency low under load.
        self._http = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=64)
        self._http.mount("http://", adapter)
        self._http.mount("https://", adapter)

    def send(
        self, channel: str, sender_id: str, text: str, metadata: dict | None = None
    ) -> AssistantTurn:
        url = f"{self.base_url}/webhooks/{RASA_CHANNELS[channel]}/webhook"
        try:
            response = self._http.post(
                url,
                json={"sender": sender_id, "message": text, "metadata": metadata or {}},
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise AssistantUnavailable(f"Rasa unreachable: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise AssistantUnavailable(f"Rasa answered HTTP {response.status_code}")
        try:
            return parse_envelope(response.json())
        except (ValueError, TypeError, KeyError) as exc:
            raise AssistantUnavailable("Rasa answered with an unreadable body") from exc

    def status(self) -> bool:
        try:
            # Our input channel's health route (Rasa runs without --enable-api); the token
            # travels in a header, never in a URL that proxies and access logs record.
            r = self._http.get(f"{self.base_url}/webhooks/{RASA_CHANNELS['web']}/health",
                               headers={"Authorization": f"Bearer {self.token}"}, timeout=2)
            return r.status_code == 200 and r.json().get("model") is True
        except (requests.RequestException, ValueError):
            return False


def parse_envelope(body: Any) -> AssistantTurn:
    """Pure: turn the JSON our input channel returns into an AssistantTurn."""
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        raise ValueError("envelope must be an object with a messages list")
    nlu = body.get("nlu") if isinstance(body.get("nlu"), dict) else {}
    return AssistantTurn(
        messages=[m for m in body["messages"] if isinstance(m, dict)],
        intent=nlu.get("intent"),
        confidence=nlu.get("confidence"),
        entities=list(nlu.get("entities") or []),
        slots=dict(body.get("slots") or {}),
    )
