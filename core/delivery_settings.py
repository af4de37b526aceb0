"""Settings for back-office delivery (Open311), resident notifications (GOV.UK Notify or
Twilio) and the outbox worker. Read from the environment by the action server (which enqueues),
the web app (which shows delivery state) and the worker (which delivers).

Every variable is documented in `.env.example`, the README and docs/back-office.md. With none of
them set (the embedded default) reports stay in our own database and notifications are recorded
as "would have been sent".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.settings import ConfigError, env, env_number

NOTIFY_DEFAULT_URL = "https://api.notifications.service.gov.uk"
SMS_ROUTES = ("notify", "twilio", "record")


def _env(name: str, default: str = "") -> str:
    return (env(name, default) or "").strip()


def parse_service_codes(raw: str) -> dict[str, str]:
    """'pothole=POT, fly_tipping=FLY' -> {'pothole': 'POT', 'fly_tipping': 'FLY'}."""
    codes: dict[str, str] = {}
    for part in raw.replace(";", ",").split(","):
        if not part.strip():
            continue
        kind, sep, code = part.partition("=")
        if not sep or not kind.strip() or not code.strip():
            raise ConfigError(
                f"OPEN311_SERVICE_CODES: {part.strip()!r} is not kind=CODE (e.g. pothole=POT)"
            )
        codes[kind.strip()] = code.strip()
    return codes


@dataclass(frozen=True)
class DeliverySettings:
    open311_base_url: str = ""
    open311_api_key: str = ""
    open311_jurisdiction_id: str = ""
    open311_service_codes: dict[str, str] = field(default_factory=dict)
    open311_poll_seconds: float = 300.0
    open311_timeout: float = 10.0
    notify_api_key: str = ""
    notify_base_url: str = NOTIFY_DEFAULT_URL
    notify_email_template_id: str = ""
    notify_sms_template_id: str = ""
    sms_updates_via: str = "record"
    outbox_max_attempts: int = 8
    outbox_backoff_seconds: float = 30.0
    outbox_backoff_max_seconds: float = 3600.0
    outbox_lease_seconds: float = 120.0
    worker_idle_seconds: float = 1.0
    council_phone: str = "01432 260000"

    @property
    def open311_enabled(self) -> bool:
        return bool(self.open311_base_url)

    @property
    def email_enabled(self) -> bool:
        return bool(self.notify_api_key and self.notify_email_template_id)

    def service_code(self, kind: str) -> str | None:
        return self.open311_service_codes.get(kind)


def load_delivery_settings() -> DeliverySettings:
    """From the environment; ConfigError for anything unusable (the worker refuses to start)."""
    base = _env("OPEN311_BASE_URL").rstrip("/")
    codes = parse_service_codes(_env("OPEN311_SERVICE_CODES"))
    if base and not base.startswith(("http://", "https://")):
        raise ConfigError(f"OPEN311_BASE_URL must start with https:// (got {base!r})")
    if base and not _env("OPEN311_API_KEY"):
        raise ConfigError("OPEN311_BASE_URL is set but OPEN311_API_KEY is not")
    if base and not codes:
        raise ConfigError(
            "OPEN311_BASE_URL is set but OPEN311_SERVICE_CODES is empty: map each kind of "
            "report to the back office's service code, e.g. pothole=POT,missed_bin=BIN"
        )
    notify_key = _env("NOTIFY_API_KEY")
    sms_template = _env("NOTIFY_SMS_TEMPLATE_ID")
    default_route = "notify" if notify_key and sms_template else "record"
    sms_via = _env("SMS_UPDATES_VIA", default_route).lower()
    if sms_via not in SMS_ROUTES:
        raise ConfigError(
            f"SMS_UPDATES_VIA must be one of {', '.join(SMS_ROUTES)}, got {sms_via!r}"
        )
    if sms_via == "notify" and not (notify_key and sms_template):
        raise ConfigError("SMS_UPDATES_VIA=notify needs NOTIFY_API_KEY and NOTIFY_SMS_TEMPLATE_ID")
    return DeliverySettings(
        open311_base_url=base,
        open311_api_key=_env("OPEN311_API_KEY"),
        open311_jurisdiction_id=_env("OPEN311_JURISDICTION_ID"),
        open311_service_codes=codes,
        open311_poll_seconds=env_number("OPEN311_POLL_SECONDS", 300.0, minimum=1.0),
        open311_timeout=env_number("OPEN311_TIMEOUT", 10.0, minimum=0.1),
        notify_api_key=notify_key,
        notify_base_url=_env("NOTIFY_BASE_URL", NOTIFY_DEFAULT_URL).rstrip("/"),
        notify_email_template_id=_env("NOTIFY_EMAIL_TEMPLATE_ID"),
        notify_sms_template_id=sms_template,
        sms_updates_via=sms_via,
        outbox_max_attempts=int(env_number("OUTBOX_MAX_ATTEMPTS", 8, minimum=1)),
        outbox_backoff_seconds=env_number("OUTBOX_BACKOFF_SECONDS", 30.0, minimum=0.0),
        outbox_backoff_max_seconds=env_number("OUTBOX_BACKOFF_MAX_SECONDS", 3600.0, minimum=0.0),
        outbox_lease_seconds=env_number("OUTBOX_LEASE_SECONDS", 120.0, minimum=1.0),
        worker_idle_seconds=env_number("WORKER_IDLE_SECONDS", 1.0, minimum=0.01),
        council_phone=_env("COUNCIL_PHONE", "01432 260000"),
    )
