"""Resident updates by text through Twilio (where the council sends texts that way rather
than through Notify). Conversational SMS stays in channels/sms.py; this only sends.

Twilio has no idempotency key, so a retry after a possible send looks for a message with the
same body sent to the same number since the message was queued."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from delivery.errors import DeliveryError


class TwilioSender:
    def __init__(self, client: Any, from_number: str) -> None:
        self.client = client
        self.from_number = from_number

    def send(self, number: str, body: str) -> str:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        try:
            message = self.client.messages.create(to=number, from_=self.from_number, body=body)
        except TwilioRestException as exc:
            status = int(getattr(exc, "status", 500) or 500)
            transient = status in (408, 429) or status >= 500
            raise DeliveryError(f"Twilio answered {status}", permanent=not transient,
                                maybe_sent=status >= 500) from None
        except (TwilioException, OSError) as exc:
            raise DeliveryError(f"cannot reach Twilio ({type(exc).__name__})",
                                maybe_sent=True) from None
        return str(getattr(message, "sid", "") or "")

    def already_sent(self, number: str, body: str, since: datetime) -> str | None:
        try:
            sent = self.client.messages.list(to=number, from_=self.from_number,
                                             date_sent_after=since, limit=50)
        except Exception as exc:  # noqa: BLE001 - any failure means "ask again later"
            raise DeliveryError(f"Twilio look-up failed ({type(exc).__name__})",
                                maybe_sent=True) from None
        for message in sent:
            if getattr(message, "body", None) == body:
                return str(getattr(message, "sid", "") or "")
        return None
