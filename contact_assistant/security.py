"""Security headers (CSP with a per-request nonce) and PII-safe logging.

The log filter itself is core/log_redaction.py, shared with the Rasa and action-server processes.
"""

from __future__ import annotations

import secrets

from flask import Flask, g, request

from core.log_redaction import RedactingFilter, install_log_redaction

__all__ = ["RedactingFilter", "csp_nonce", "init_security_headers", "install_log_redaction"]


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
