"""One place for configuration, read from the environment (12-factor).

Every setting is documented in `.env.example` and the README. For local use only,
missing secrets are generated once into `var/secrets.env` (never committed) by
`core.local_secrets`; in production they must come from the environment.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, fields
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", PROJECT_ROOT / "var"))


class ConfigError(RuntimeError):
    """A setting is missing or malformed: refuse to start rather than guess."""


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_number(name: str, default: float, *, whole: bool = False,
               minimum: float | None = None) -> float:
    """A numeric setting: `default` when unset or blank, ConfigError when it is not a number
    (a whole one, with `whole`) or is below `minimum`. Shared with core/delivery_settings.py."""
    raw = (env(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw) if whole else float(raw)
    except ValueError as exc:
        kind = "a whole number" if whole else "a number"
        raise ConfigError(f"{name} must be {kind}, got {raw!r}") from exc
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name} must be at least {minimum:g}, got {raw!r}")
    return value


def _int(name: str, default: int) -> int:
    return int(env_number(name, default, whole=True))


def _float(name: str, default: float) -> float:
    return env_number(name, default)


def _bool(name: str, default: bool) -> bool:
    raw = env(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Typed settings. `to_flask()` turns them into Flask config keys."""

    secret_key: str
    database_url: str
    rasa_url: str | None
    rasa_token: str
    action_server_url: str | None
    rasa_timeout: float
    public_base_url: str
    twilio_account_sid: str
    twilio_auth_token: str
    twilio_phone_number: str
    twilio_voice: str
    optout_hmac_key: str
    council_name: str
    council_phone: str
    council_logo_url: str
    council_brand_colour: str
    council_website: str
    opening_hours: str
    timezone: str
    data_notice_version: str
    retention_days: int
    data_use_retention_days: int
    max_message_chars: int
    ratelimit_storage_uri: str
    ratelimit_chat: str
    ratelimit_login: str
    advisor_handle_minutes: int
    redact_kinds: tuple[str, ...]
    testing: bool = False
    # Advisors sign in again after this many hours, however busy the console has been.
    advisor_session_hours: float = 8.0
    # Abandoned conversations (handoff/abandonment.py): a web chat waiting for a person whose
    # page stopped polling this long ago, any web chat idle for the session's length, and an
    # SMS the assistant asked something in that got no reply in this many hours.
    abandon_web_poll_seconds: int = 120
    abandon_web_idle_minutes: int = 30
    abandon_sms_hours: int = 24
    extra: dict = field(default_factory=dict)
    # "production" refuses weak or missing secrets and never reads var/ (check_production).
    app_env: str = "development"
    # Proxies of ours in front of the app whose X-Forwarded-* headers are believed; 0 = none.
    trusted_proxy_count: int = 0
    ratelimit_chat_ip: str = "600 per minute"
    # /healthz answers 503 when a due outbox message has waited longer than this (the
    # delivery worker is down or stuck): contact_assistant/health.py.
    health_outbox_overdue_seconds: int = 900

    def to_flask(self) -> dict:
        values = {f.name.upper(): getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        values["APP_ENV"] = self.app_env
        values.update(self.extra)
        https = self.public_base_url.startswith("https://")
        values.update(
            SESSION_COOKIE_HTTPONLY=True,
            SESSION_COOKIE_SAMESITE="Lax",
            SESSION_COOKIE_SECURE=https,
            REMEMBER_COOKIE_SECURE=https,
            REMEMBER_COOKIE_HTTPONLY=True,
            PREFERRED_URL_SCHEME="https" if https else "http",
            MAX_CONTENT_LENGTH=64 * 1024,
            WTF_CSRF_TIME_LIMIT=None,
            RATELIMIT_STORAGE_URI=self.ratelimit_storage_uri,
            RATELIMIT_HEADERS_ENABLED=True,
            PERMANENT_SESSION_LIFETIME=_int("SESSION_MINUTES", 30) * 60,
        )
        return values


ALL_REDACT_KINDS = ("card", "email", "phone", "ni_number", "sort_code", "account_number")
PRODUCTION = "production"
SECRETS = ("SECRET_KEY", "RASA_TOKEN", "OPTOUT_HMAC_KEY", "TWILIO_AUTH_TOKEN")
MIN_SECRET_CHARS = 32
GENERATE_HINT = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
# Words that mark a value copied from documentation rather than generated.
PLACEHOLDER_WORDS = ("change", "replace", "example", "placeholder", "secret", "password",
                     "your", "dummy", "default", "insecure", "test", "todo", "xxxx", "1234")


def is_production() -> bool:
    return (env("APP_ENV", "development") or "").strip().lower() == PRODUCTION


def secret_problem(value: str | None) -> str | None:
    """Why this value is not a usable production secret, or None. Pure.

    Strong means generated: at least 32 characters (`secrets.token_urlsafe(32)` gives 43; a
    Twilio auth token is 32 hex digits), not a pattern repeated, at least 10 different
    characters and about 100 bits by a Shannon estimate, and no placeholder word."""
    if not value:
        return "missing"
    lowered = value.lower()
    if any(word in lowered for word in PLACEHOLDER_WORDS):
        return f"a placeholder (generate one: {GENERATE_HINT})"
    if len(value) < MIN_SECRET_CHARS:
        return f"too short ({len(value)} characters; at least {MIN_SECRET_CHARS}: {GENERATE_HINT})"
    if value in (value + value)[1:-1] or len(set(value)) < 10 or _shannon_bits(value) < 100:
        return "too predictable (a repeated or low-variety value)"
    return None


def _shannon_bits(value: str) -> float:
    counts = [value.count(c) for c in set(value)]
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts) * n


def check_production() -> None:
    """APP_ENV=production: refuse to start on anything that would make the service unsafe."""
    problems = [f"{name} is {why}" for name in SECRETS
                if (why := secret_problem(env(name))) is not None]
    public = env("PUBLIC_BASE_URL", "") or ""
    if not public.startswith("https://"):
        problems.append("PUBLIC_BASE_URL must be the https:// address Twilio and residents use")
    if (env("RATELIMIT_STORAGE_URI", "memory://") or "").startswith("memory://"):
        problems.append("RATELIMIT_STORAGE_URI must be shared storage (redis://...), not memory://,"
                        " so every worker counts together")
    if problems:
        raise ConfigError("Production mode (APP_ENV=production) will not start: "
                          + "; ".join(problems) + ". See deploy/README.md.")


def load_settings() -> Settings:
    """Read settings from the environment; raise ConfigError on anything unusable."""
    if is_production():
        check_production()
    missing = [n for n in ("SECRET_KEY", "RASA_TOKEN", "OPTOUT_HMAC_KEY") if not env(n)]
    if missing:
        raise ConfigError(
            "Missing required settings: "
            + ", ".join(missing)
            + ". Set them in the environment (see .env.example); `make run` generates "
            "local-only values into var/secrets.env."
        )
    kinds = tuple(
        k.strip() for k in env("REDACT_KINDS", ",".join(ALL_REDACT_KINDS)).split(",") if k.strip()
    )
    unknown = set(kinds) - set(ALL_REDACT_KINDS)
    if unknown:
        raise ConfigError(f"REDACT_KINDS has unknown kinds: {', '.join(sorted(unknown))}")
    # A process manager may rewrite PORT per process; APP_PORT keeps the web app's own port.
    port = env("APP_PORT") or env("PORT", "8000")
    return Settings(
        secret_key=env("SECRET_KEY"),
        database_url=env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'app.db'}"),
        rasa_url=env("RASA_URL", "http://127.0.0.1:5005"),
        rasa_token=env("RASA_TOKEN"),
        action_server_url=env("ACTION_SERVER_URL", "http://127.0.0.1:5055"),
        rasa_timeout=_float("RASA_TIMEOUT", 5.0),
        public_base_url=env("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}").rstrip("/"),
        twilio_account_sid=env("TWILIO_ACCOUNT_SID", "ACdevelopment0000000000000000000000"),
        twilio_auth_token=env("TWILIO_AUTH_TOKEN", ""),
        twilio_phone_number=env("TWILIO_PHONE_NUMBER", "+441432000000"),
        twilio_voice=env("TWILIO_VOICE", "Polly.Amy-Neural"),
        optout_hmac_key=env("OPTOUT_HMAC_KEY"),
        council_name=env("COUNCIL_NAME", "Herefordshire Council"),
        council_phone=env("COUNCIL_PHONE", "01432 260000"),
        council_logo_url=env("COUNCIL_LOGO_URL", ""),
        council_brand_colour=env("COUNCIL_BRAND_COLOUR", "#00594f"),
        council_website=env("COUNCIL_WEBSITE", "https://www.herefordshire.gov.uk"),
        opening_hours=env("OPENING_HOURS", "Mon-Fri 09:00-17:00"),
        timezone=env("TIMEZONE", "Europe/London"),
        data_notice_version=env("DATA_NOTICE_VERSION", "2026-11-v1"),
        retention_days=_int("RETENTION_DAYS", 90),
        data_use_retention_days=_int("DATA_USE_RETENTION_DAYS", 30),
        max_message_chars=_int("MAX_MESSAGE_CHARS", 1000),
        ratelimit_storage_uri=env("RATELIMIT_STORAGE_URI", "memory://"),
        ratelimit_chat=env("RATELIMIT_CHAT", "60 per minute"),
        ratelimit_login=env("RATELIMIT_LOGIN", "5 per minute"),
        advisor_handle_minutes=_int("ADVISOR_HANDLE_MINUTES", 6),
        redact_kinds=kinds,
        abandon_web_poll_seconds=_int("ABANDON_WEB_POLL_SECONDS", 120),
        abandon_web_idle_minutes=_int("SESSION_MINUTES", 30),
        abandon_sms_hours=_int("ABANDON_SMS_HOURS", 24),
        testing=_bool("TESTING", False),
        advisor_session_hours=_float("ADVISOR_SESSION_HOURS", 8.0),
        extra=_optional_extras(),
        app_env=PRODUCTION if is_production() else "development",
        trusted_proxy_count=_int("TRUSTED_PROXY_COUNT", 0),
        ratelimit_chat_ip=env("RATELIMIT_CHAT_IP", "600 per minute"),
        health_outbox_overdue_seconds=_int("HEALTH_OUTBOX_OVERDUE_SECONDS", 900),
    )


def _optional_extras() -> dict:
    """Settings with built-in defaults elsewhere, passed through only when set."""
    extras: dict = {}
    if target := env("ADVISOR_DIAL_TARGET"):
        extras["ADVISOR_DIAL_TARGET"] = target  # e.g. "client:advisor-{id}" or "+441432260000"
    if canned := env("CANNED_REPLIES"):
        extras["CANNED_REPLIES"] = tuple(r.strip() for r in canned.split("|") if r.strip())
    return extras


class Unmocked:
    """Stands in for an external service in the test config: any use fails loudly."""

    def __init__(self, what: str) -> None:
        self._what = what

    def __getattr__(self, name: str):
        raise RuntimeError(f"{self._what} is not mocked in this test: inject a fake")

    def __bool__(self) -> bool:  # pragma: no cover - truthiness must not hide the error
        raise RuntimeError(f"{self._what} is not mocked in this test: inject a fake")


def test_settings(database_url: str, **overrides) -> Settings:
    """Settings for unit tests: no network service is reachable unless a test injects one."""
    base = dict(
        secret_key="test-secret-key",  # noqa: S106 - test-only value
        database_url=database_url,
        rasa_url=None,
        rasa_token="test-rasa-token",  # noqa: S106 - test-only value
        action_server_url=None,
        rasa_timeout=1.0,
        public_base_url="https://assistant.example.gov.uk",
        twilio_account_sid="ACtest00000000000000000000000000",
        twilio_auth_token="test-twilio-token",  # noqa: S106 - test-only value
        twilio_phone_number="+441432000000",
        twilio_voice="Polly.Amy-Neural",
        optout_hmac_key="test-optout-key",
        council_name="Herefordshire Council",
        council_phone="01432 260000",
        council_logo_url="",
        council_brand_colour="#00594f",
        council_website="https://www.herefordshire.gov.uk",
        opening_hours="Mon-Sun 00:00-24:00",
        timezone="Europe/London",
        data_notice_version="test-v1",
        retention_days=90,
        data_use_retention_days=30,
        max_message_chars=1000,
        ratelimit_storage_uri="memory://",
        ratelimit_chat="1000 per minute",
        ratelimit_login="5 per minute",
        advisor_handle_minutes=6,
        redact_kinds=ALL_REDACT_KINDS,
        testing=True,
    )
    base.update(overrides)
    return Settings(**base)
