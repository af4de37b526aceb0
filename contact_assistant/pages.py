"""Shared pages: the accessibility statement, error pages, and the layout's template context.

`layout.html` (contact_assistant/templates) is the one GOV.UK Frontend page layout for the web chat,
the advisor console and these pages. The context processor here gives every template the council's
name, logo, brand colour, phone number and opening hours from the configuration.

Error handlers are app-wide: HTML pages in the same style for people, JSON for `/api/` paths.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from handoff.availability import OpeningHours
from storage.db import DatabaseUnavailable

bp = Blueprint("pages", __name__)

SERVICE_NAME = "Contact assistant"
DEFAULT_BRAND = "#00594f"
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


# --- pure helpers ---------------------------------------------------------------------------

def safe_colour(value: str | None, default: str = DEFAULT_BRAND) -> str:
    """Only a hex colour may reach the inline <style>: anything else falls back to the default."""
    value = (value or "").strip()
    return value if _HEX.match(value) else default


def _luminance(hex_colour: str) -> float:
    digits = hex_colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    channels = []
    for i in (0, 2, 4):
        c = int(digits[i:i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_colour_on(background: str) -> str:
    """White text on the brand colour when that is readable (WCAG 1.4.3), otherwise black."""
    white, black = "#ffffff", "#0b0c0c"
    return white if contrast_ratio(background, white) >= 4.5 else black


def phone_href(number: str) -> str:
    digits = re.sub(r"[^\d+]", "", number or "")
    return f"tel:{digits}" if digits else ""


def describe_hours(spec: str, tz: str = "Europe/London") -> str:
    try:
        return OpeningHours.parse(spec, tz).describe()
    except (ValueError, KeyError):
        return spec


def council_context(config: Any) -> dict[str, Any]:
    """Pure: the template variables every page gets, from the Flask config mapping."""
    brand = safe_colour(config.get("COUNCIL_BRAND_COLOUR"))
    phone = config.get("COUNCIL_PHONE") or ""
    hours_spec = config.get("OPENING_HOURS") or ""
    lifetime = config.get("PERMANENT_SESSION_LIFETIME") or 1800
    seconds = int(lifetime.total_seconds()) if hasattr(lifetime, "total_seconds") else int(lifetime)
    council = {
        "name": config.get("COUNCIL_NAME") or "Your council",
        "logo_url": config.get("COUNCIL_LOGO_URL") or "",
        "brand_colour": brand,
        "brand_text_colour": text_colour_on(brand),
        "phone": phone,
        "phone_href": phone_href(phone),
        "opening_hours": describe_hours(hours_spec, config.get("TIMEZONE") or "Europe/London"),
        "website": config.get("COUNCIL_WEBSITE") or "",
        "service_name": SERVICE_NAME,
    }
    return {
        "council": council,
        "COUNCIL_NAME": council["name"],
        "COUNCIL_LOGO_URL": council["logo_url"],
        "COUNCIL_BRAND_COLOUR": brand,
        "COUNCIL_PHONE": phone,
        "OPENING_HOURS": council["opening_hours"],
        "session_seconds": seconds,
        "session_minutes": max(1, seconds // 60),
    }


@bp.app_context_processor
def _inject_council() -> dict[str, Any]:
    return council_context(current_app.config)


# --- pages ------------------------------------------------------------------------------------

@bp.get("/accessibility")
def accessibility():
    return render_template("accessibility.html")


# --- errors -----------------------------------------------------------------------------------

ERRORS = {
    400: ("Sorry, there is a problem with your request",
          "Go back and try again."),
    404: ("Page not found",
          "If you typed the web address, check it is correct. "
          "If you pasted the web address, check you copied the entire address."),
    413: ("Your message is too long",
          "Messages must be 1,000 characters or fewer. Go back and shorten your message."),
    429: ("You have sent too many messages",
          "Wait a minute, then try again."),
    500: ("Sorry, there is a problem with the service",
          "Try again later. We have not lost what you already told us."),
    503: ("Sorry, the service is unavailable",
          "Try again in a few minutes. Your last message was not saved, so please send it again."),
}

API_MESSAGES = {
    400: "The request was not valid.",
    404: "Not found.",
    405: "Method not allowed.",
    413: "The message or request body is too large.",
    415: "Send JSON with Content-Type: application/json.",
    429: "Too many requests. Wait a minute, then try again.",
    500: "Something went wrong on our side. Try again later.",
    503: "The service is unavailable. Your last message was not saved: send it again shortly.",
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _api_error(status: int, message: str | None = None):
    body = {"error": message or API_MESSAGES.get(status, "Error."), "status": status}
    return jsonify(body), status


def _html_error(status: int, template: str = "errors/error.html", **extra):
    heading, advice = ERRORS.get(status, ERRORS[500])
    return render_template(template, status=status, heading=heading, advice=advice, **extra), status


def _description(error: Exception) -> str | None:
    # Our own aborts carry a message meant for the client; werkzeug's defaults are replaced.
    if isinstance(error, HTTPException) and getattr(error, "council_message", None):
        return error.council_message
    return None


@bp.app_errorhandler(CSRFError)
def _csrf_error(error: CSRFError):
    if wants_json():
        return _api_error(400, "The form was out of date. Reload the page and try again.")
    return _html_error(400, "errors/session_ended.html")


@bp.app_errorhandler(404)
def _not_found(error):
    if wants_json():
        return _api_error(404, _description(error))
    return _html_error(404, "errors/404.html")


@bp.app_errorhandler(413)
def _too_large(error):
    if wants_json():
        return _api_error(413, _description(error) or
                          "Your message must be 1,000 characters or fewer.")
    return _html_error(413)


@bp.app_errorhandler(429)
def _rate_limited(error):
    if wants_json():
        return _api_error(429)
    return _html_error(429, "errors/429.html")


@bp.app_errorhandler(DatabaseUnavailable)
def _database_unavailable(error: DatabaseUnavailable):
    current_app.logger.error("database unavailable on %s %s", request.method, request.path)
    response = _api_error(503) if wants_json() else _html_error(503)
    body, status = response
    response = current_app.make_response((body, status))
    response.headers["Retry-After"] = "30"
    return response


@bp.app_errorhandler(500)
def _server_error(error):
    current_app.logger.error("unhandled error on %s %s", request.method, request.path)
    if wants_json():
        return _api_error(500)
    try:
        return _html_error(500, "errors/500.html")
    except Exception:  # noqa: BLE001 - the error page itself must never fail
        return "Sorry, there is a problem with the service. Try again later.", 500
