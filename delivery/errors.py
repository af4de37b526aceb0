"""How a failed delivery attempt is classified, so the worker knows what to do next."""

from __future__ import annotations


class DeliveryError(Exception):
    """An attempt failed.

    permanent: trying again cannot help (a 4xx the provider will always refuse): give up now
    and show it to supervisors. maybe_sent: the provider may have acted on it (a timeout, a 5xx
    after the request was read): the next attempt asks the provider first, never sends blind.
    """

    def __init__(self, message: str, *, permanent: bool = False, maybe_sent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.maybe_sent = maybe_sent


def from_status(what: str, status: int, detail: str = "") -> DeliveryError:
    """An HTTP error answer: 408/429 and 5xx are worth retrying, other 4xx are not."""
    transient = status in (408, 429) or status >= 500
    text = f"{what} answered {status}" + (f": {detail[:200]}" if detail else "")
    return DeliveryError(text, permanent=not transient, maybe_sent=status >= 500)
