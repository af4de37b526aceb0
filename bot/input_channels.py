"""Named Rasa input channels (webchat, phone, sms) that the router posts to.

Each is a REST channel with two differences: it requires the shared token in the
Authorization header, and it answers with an envelope that also carries the NLU result and
slots, so the router can log intents and summarise for advisors without a second call.
Rasa picks response variations by these channel names.

Rasa runs without `--enable-api` (no /model, no tracker writes from outside): the app's health
check is `GET /webhooks/<channel>/health` here, behind the same token.
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import nlu_components, rasa_speedups
from core.log_redaction import install_log_redaction

log = logging.getLogger(__name__)
# Rasa imports this module at start-up, in the server process only.
install_log_redaction()  # no personal data in Rasa's log, tracebacks included
rasa_speedups.apply()
MAX_TEXT = 2000


def collector_for(channel_name: str) -> CollectingOutputChannel:
    """A collecting output channel named after our input channel. Rasa chooses `channel:`
    response variations by the OUTPUT channel's name, and CollectingOutputChannel is named
    "collector", so without this the phone and SMS variations in bot/domain.yml never apply."""

    class NamedCollector(CollectingOutputChannel):
        @classmethod
        def name(cls) -> str:
            return channel_name

    return NamedCollector()


def _token_ok(request: Request) -> bool:
    expected = os.environ.get("RASA_TOKEN", "")
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


class CouncilChannel(InputChannel):
    channel_name = "webchat"

    @classmethod
    def name(cls) -> str:
        return cls.channel_name

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint(f"council_{self.name()}", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/health", methods=["GET"])
        async def model_health(request: Request) -> HTTPResponse:
            """200 once the model is loaded and Rasa can answer; the app's /healthz asks this."""
            if not _token_ok(request):
                return response.json({"error": "unauthorised"}, status=401)
            agent = getattr(request.app.ctx, "agent", None)
            ready = bool(agent is not None and agent.is_ready()
                         and not nlu_components.catalogue_index_building())
            return response.json({"status": "ok" if ready else "loading", "model": ready},
                                 status=200 if ready else 503)

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not _token_ok(request):
                return response.json({"error": "unauthorised"}, status=401)
            body = request.json if isinstance(request.json, dict) else {}
            sender, text = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not isinstance(text, str) or len(text) > MAX_TEXT:
                return response.json({"error": "sender and message are required"}, status=400)
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
            collector = collector_for(self.name())
            try:
                with rasa_speedups.capture_tracker() as saved:
                    await on_new_message(
                        UserMessage(text, collector, sender, input_channel=self.name(),
                                    metadata=metadata)
                    )
            except Exception:  # noqa: BLE001 - the router turns this into a handoff
                log.exception("message handling failed on channel %s", self.name())
                return response.json({"error": "assistant failure"}, status=500)
            envelope: dict[str, Any] = {"messages": collector.messages, "nlu": {}, "slots": {}}
            agent = request.app.ctx.agent
            tracker = saved[-1] if saved else None
            if tracker is None and agent.tracker_store:  # e.g. Rasa skipped saving: read it
                tracker = await agent.tracker_store.retrieve(sender)
            if tracker is not None:
                latest = tracker.latest_message
                intent = (latest.intent or {}) if latest else {}
                envelope["nlu"] = {
                    "intent": intent.get("name"),
                    "confidence": intent.get("confidence"),
                    "entities": [
                        {"entity": e.get("entity"), "value": e.get("value")}
                        for e in (latest.entities if latest else [])
                    ],
                }
                envelope["slots"] = {
                    k: v for k, v in tracker.current_slot_values().items()
                    if v is not None and not k.startswith("requested_slot")
                }
            return response.json(envelope)

        return bp


class WebChatInput(CouncilChannel):
    channel_name = "webchat"


class PhoneInput(CouncilChannel):
    channel_name = "phone"


class SmsInput(CouncilChannel):
    channel_name = "sms"
