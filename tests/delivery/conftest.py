"""Fixtures for delivery tests: the local Open311 and Notify servers over real HTTP
(tests/delivery/servers.py), settings that point at them, and a worker wired to them."""

from __future__ import annotations

from core.delivery_settings import DeliverySettings
from delivery.cli import backoffice_clients
from delivery.worker import Worker
from services.cases import create_case
from tests.delivery.servers import (
    NotifyServer,
    Open311Server,
    notify_server_fixture,
    open311_server_fixture,
)

__all__ = ["notify_server_fixture", "open311_server_fixture"]  # the shared server fixtures
CODES = {"pothole": "POT", "fly_tipping": "FLY", "streetlight": "SL", "missed_bin": "BIN"}
OPTOUT_KEY = "test-optout-key"  # the same key as core.settings.test_settings


def delivery_settings(open311: Open311Server | None = None, notify: NotifyServer | None = None,
                      **overrides) -> DeliverySettings:
    values = dict(outbox_backoff_seconds=0.0, outbox_backoff_max_seconds=0.0,
                  outbox_lease_seconds=30.0, open311_timeout=1.0, worker_idle_seconds=0.05)
    if open311 is not None:
        values.update(open311_base_url=open311.url, open311_api_key=Open311Server.API_KEY,
                      open311_jurisdiction_id="herefordshire.gov.uk",
                      open311_service_codes=dict(CODES))
    if notify is not None:
        values.update(notify_api_key=NotifyServer.API_KEY, notify_base_url=notify.url,
                      notify_email_template_id=NotifyServer.EMAIL_TEMPLATE,
                      notify_sms_template_id=NotifyServer.SMS_TEMPLATE,
                      sms_updates_via="notify")
    values.update(overrides)
    return DeliverySettings(**values)


def make_worker(db, settings: DeliverySettings, **kwargs) -> Worker:
    open311, notify = backoffice_clients(settings)
    kwargs.setdefault("open311", open311)
    kwargs.setdefault("notify", notify)
    return Worker(db, settings, optout_key=OPTOUT_KEY, **kwargs)


def reports_by_email(db, settings: DeliverySettings, count: int, *, kind: str, location: str,
                     details: str) -> list[str]:
    """`count` reports of one kind, each by its own resident (resident<n>@example.org) who
    wants updates by email; `location` is formatted with n. Returns their references."""
    return [
        create_case(db, kind=kind, location=location.format(n=n), details=details,
                    contact_preference="email", contact_email=f"resident{n}@example.org",
                    delivery=settings).reference
        for n in range(count)
    ]
