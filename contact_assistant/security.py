"""Security headers (CSP with a per-request nonce) and PII-safe logging."""

from __future__ import annotations

import logging
import secrets

from flask import Flask, g, request

from privacy.redaction import redact


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def init_security_headers(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    https = app.config["PUBLIC_BASE_URL"].startswith("https://")

    @app.after_request
    def _headers(response):
        nonce = csp_nonce()
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; "
            "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        if https or request.is_secure:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        if request.path.startswith(("/api/", "/advisor")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


class RedactingFilter(logging.Filter):
    """Redacts personal data from every log record before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not stop logging
            return True
        record.msg, record.args = redact(message), None
        return True


def _redacting_record_factory(base):
    """Redacts each record as it is created, so handlers added later (logging.basicConfig,
    gunicorn, pytest) and records from child loggers, which never pass the root logger's own
    filters, are covered too."""

    def factory(*args, **kwargs):
        record = base(*args, **kwargs)
        RedactingFilter().filter(record)
        return record

    factory.redacting = True
    return factory


def install_log_redaction() -> None:
    current = logging.getLogRecordFactory()
    if not getattr(current, "redacting", False):
        logging.setLogRecordFactory(_redacting_record_factory(current))
    root = logging.getLogger()
    if not any(isinstance(f, RedactingFilter) for f in root.filters):
        root.addFilter(RedactingFilter())
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
