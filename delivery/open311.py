"""A client for the Open311 GeoReport v2 endpoints we use (the spec on the Open311 wiki):

  GET  {base}/services.json                       the service codes the back office accepts
  POST {base}/requests.json                       a new report (form-encoded); answers
                                                  [{"service_request_id": ...}] or [{"token": ...}]
  GET  {base}/tokens/{token}.json                 the service_request_id for a token
  GET  {base}/requests.json?service_request_id=a,b  status, status_notes, updated_datetime
  GET  {base}/requests.json?service_code=&start_date=  reports since a time (to find one we may
                                                  already have posted before a crash)

Errors come back as 4xx with [{"code": 400, "description": "..."}].
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from core.settings import ConfigError
from delivery.errors import DeliveryError, from_status

# GeoReport v2 says open or closed; FixMyStreet's extended spec adds finer states. Ours:
STATUS_MAP = {
    "open": "Received",
    "investigating": "Received",
    "in_progress": "Scheduled",
    "action_scheduled": "Scheduled",
    "fixed": "Fixed",
    "closed": "Closed",
    "duplicate": "Closed",
    "not_councils_responsibility": "Closed",
    "unable_to_fix": "Closed",
    "no_further_action": "Closed",
    "internal_referral": "Closed",
}


@dataclass(frozen=True)
class Posted:
    service_request_id: str | None
    token: str | None


@dataclass(frozen=True)
class RequestStatus:
    service_request_id: str
    status: str  # ours: Received, Scheduled, Fixed or Closed
    notes: str | None
    updated: datetime | None  # naive UTC


def parse_datetime(text: str | None) -> datetime | None:
    """ISO 8601 with a timezone (the spec requires one) -> naive UTC; None if unusable."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None)


def our_status(raw: str | None) -> str:
    return STATUS_MAP.get((raw or "").strip().lower().replace(" ", "_"), "Received")


def _error_detail(response: requests.Response) -> str:
    try:
        body = response.json()
        if isinstance(body, list) and body and isinstance(body[0], dict):
            return str(body[0].get("description") or "")
    except ValueError:
        pass
    return ""


class Open311Client:
    def __init__(self, base_url: str, api_key: str, *, jurisdiction_id: str = "",
                 timeout: float = 10.0, session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.jurisdiction_id = jurisdiction_id
        self.timeout = timeout
        self.http = session or requests.Session()

    def _params(self, **extra: Any) -> dict[str, Any]:
        params = {k: v for k, v in extra.items() if v not in (None, "")}
        if self.jurisdiction_id:
            params["jurisdiction_id"] = self.jurisdiction_id
        return params

    def _call(self, method: str, path: str, *, what: str, sends: bool = False,
              **kwargs: Any) -> Any:
        try:
            response = self.http.request(method, f"{self.base_url}/{path}",
                                         timeout=self.timeout, **kwargs)
        except requests.Timeout as exc:
            # The back office may have read the request and acted on it.
            raise DeliveryError(f"{what}: the back office did not answer in time",
                                maybe_sent=sends) from exc
        except requests.ConnectionError as exc:
            raise DeliveryError(f"{what}: cannot reach the back office") from exc
        if response.status_code >= 400:
            error = from_status(what, response.status_code, _error_detail(response))
            error.maybe_sent = error.maybe_sent and sends
            raise error
        try:
            return response.json()
        except ValueError as exc:
            raise DeliveryError(f"{what}: the back office answered something that is not JSON",
                                maybe_sent=sends) from exc

    # --- services --------------------------------------------------------------------------

    def service_codes(self) -> set[str]:
        body = self._call("GET", "services.json", what="services.json", params=self._params())
        return {str(s.get("service_code")) for s in body or [] if isinstance(s, dict)}

    def check_codes(self, codes: dict[str, str]) -> None:
        """ConfigError naming every kind whose code the back office does not list."""
        known = self.service_codes()
        unknown = {kind: code for kind, code in codes.items() if code not in known}
        if unknown:
            listed = ", ".join(f"{kind}={code}" for kind, code in sorted(unknown.items()))
            raise ConfigError(
                f"OPEN311_SERVICE_CODES has codes the back office does not offer: {listed}. "
                f"It offers: {', '.join(sorted(known)) or 'none'}."
            )

    # --- requests --------------------------------------------------------------------------

    def post_request(self, fields: dict[str, Any]) -> Posted:
        data = {"api_key": self.api_key, **self._params(**fields)}
        body = self._call("POST", "requests.json", what="POST requests.json", sends=True,
                          data=data)
        first = body[0] if isinstance(body, list) and body else {}
        if not isinstance(first, dict):
            first = {}
        request_id, token = first.get("service_request_id"), first.get("token")
        if not request_id and not token:
            raise DeliveryError("POST requests.json answered with neither an id nor a token",
                                maybe_sent=True)
        return Posted(str(request_id) if request_id else None, str(token) if token else None)

    def resolve_token(self, token: str) -> str | None:
        body = self._call("GET", f"tokens/{token}.json", what="tokens",
                          params=self._params())
        for item in body or []:
            if isinstance(item, dict) and item.get("service_request_id"):
                return str(item["service_request_id"])
        return None

    def statuses(self, request_ids: Iterable[str]) -> list[RequestStatus]:
        ids = [i for i in request_ids if i]
        if not ids:
            return []
        body = self._call("GET", "requests.json", what="GET requests.json",
                          params=self._params(service_request_id=",".join(ids)))
        found = []
        for item in body or []:
            if not isinstance(item, dict) or not item.get("service_request_id"):
                continue
            found.append(RequestStatus(
                str(item["service_request_id"]), our_status(item.get("status")),
                (item.get("status_notes") or None), parse_datetime(item.get("updated_datetime")),
            ))
        return found

    def find_posted(self, service_code: str, since: datetime, marker: str) -> str | None:
        """The id of a report posted since `since` whose description carries `marker` (our
        HC- reference): how a retry learns that a post cut off by a crash did arrive."""
        start = since.replace(tzinfo=UTC).isoformat(timespec="seconds")
        body = self._call("GET", "requests.json", what="GET requests.json",
                          params=self._params(service_code=service_code, start_date=start))
        for item in body or []:
            if (isinstance(item, dict) and marker in str(item.get("description") or "")
                    and item.get("service_request_id")):
                return str(item["service_request_id"])
        return None
