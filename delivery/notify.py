"""GOV.UK Notify through its official client (`notifications-python-client`).

The client signs each request with a short-lived JWT (HS256, iss = the service id, key = the
secret half of NOTIFY_API_KEY) and sends it as a Bearer token. Every message carries our
outbox idempotency key as Notify's `reference`, so after a crash the worker can ask Notify
(GET /v2/notifications?reference=...) whether the message already went, instead of sending twice.
"""

from __future__ import annotations

from typing import Any

import requests
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

from delivery.errors import DeliveryError, from_status


def _failure(what: str, exc: Exception) -> DeliveryError:
    if isinstance(exc, APIError) and getattr(exc, "response", None) is not None:
        # Notify's message names the field at fault, never the address itself.
        return from_status(what, exc.status_code, str(exc.message))
    if isinstance(exc, requests.Timeout | APIError):
        # The client turns a timeout into an APIError with no response.
        return DeliveryError(f"{what}: Notify did not answer", maybe_sent=True)
    return DeliveryError(f"{what}: cannot reach Notify")


class NotifyClient:
    def __init__(self, api_key: str, base_url: str, *, timeout: float = 10.0) -> None:
        self.client = NotificationsAPIClient(api_key, base_url=base_url, timeout=timeout)

    def _send(self, what: str, call, **kwargs: Any) -> str:
        try:
            body = call(**kwargs)
        except (APIError, requests.RequestException) as exc:
            raise _failure(what, exc) from None
        return str((body or {}).get("id") or "")

    def send_email(self, address: str, template_id: str, personalisation: dict[str, str],
                   reference: str) -> str:
        return self._send("Notify email", self.client.send_email_notification,
                          email_address=address, template_id=template_id,
                          personalisation=personalisation, reference=reference)

    def send_sms(self, number: str, template_id: str, personalisation: dict[str, str],
                 reference: str) -> str:
        return self._send("Notify text", self.client.send_sms_notification,
                          phone_number=number, template_id=template_id,
                          personalisation=personalisation, reference=reference)

    def already_sent(self, reference: str) -> str | None:
        """The id of a notification Notify already holds with this reference, else None."""
        try:
            body = self.client.get_all_notifications(reference=reference)
        except (APIError, requests.RequestException) as exc:
            raise _failure("Notify look-up", exc) from None
        for item in (body or {}).get("notifications") or []:
            if item.get("reference") == reference and item.get("id"):
                return str(item["id"])
        return None
