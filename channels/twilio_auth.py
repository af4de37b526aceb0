"""Only Twilio may call the phone and SMS webhooks: every request must carry a valid
X-Twilio-Signature. There is deliberately no switch to turn this off; tests and the phone
simulator sign their requests with the same RequestValidator.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, current_app, request
from twilio.request_validator import RequestValidator

log = logging.getLogger(__name__)


def signed_url(public_base_url: str, path: str, query_string: bytes | str = b"") -> str:
    """The URL Twilio signed: PUBLIC_BASE_URL + path (+ ?query). Pure."""
    if isinstance(query_string, bytes):
        query_string = query_string.decode("latin-1")
    url = public_base_url.rstrip("/") + path
    return f"{url}?{query_string}" if query_string else url


def signature_valid(token: str, url: str, params: Any, signature: str) -> bool:
    if not token or not signature:
        return False
    return RequestValidator(token).validate(url, params, signature)


def twilio_signed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse (403) any request whose X-Twilio-Signature is missing or does not match."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        url = signed_url(current_app.config["PUBLIC_BASE_URL"], request.path, request.query_string)
        token = current_app.config.get("TWILIO_AUTH_TOKEN") or ""
        if not token:
            log.error("TWILIO_AUTH_TOKEN is not set: every Twilio webhook is refused")
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature_valid(token, url, request.form, signature):
            log.warning("refused a %s request with a %s Twilio signature", request.path,
                        "forged" if signature else "missing")
            return Response("Forbidden", status=403, mimetype="text/plain")
        return view(*args, **kwargs)

    return wrapper
