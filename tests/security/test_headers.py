"""Security headers on every kind of response: pages, JSON, TwiML, errors."""

from __future__ import annotations

import re
from dataclasses import replace

from contact_assistant.app import create_app
from tests.security.conftest import sign

PARAMS = {"CallSid": "CA" + "3" * 32, "From": "+447700900123", "To": "+441432000000"}


def _responses(app, client):
    out = {"healthz": client.get("/healthz"), "missing": client.get("/no-such-page")}
    if "web" in app.blueprints:
        out.update(page=client.get("/"), api=client.get("/api/chat"))
    if "console" in app.blueprints:
        out["login"] = client.get("/advisor/login")
    if "voice" in app.blueprints:
        out["twiml"] = client.post("/voice/incoming", data=PARAMS,
                                   headers=sign(app, "/voice/incoming", PARAMS))
    return out


def test_every_response_denies_framing_sniffing_and_leaky_referrers(app, client):
    for name, r in _responses(app, client).items():
        h = r.headers
        assert h["X-Frame-Options"] == "DENY", name
        assert h["X-Content-Type-Options"] == "nosniff", name
        assert h["Referrer-Policy"] in ("strict-origin-when-cross-origin", "no-referrer",
                                        "same-origin"), name
        csp = h["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, name
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, name
        assert h["Strict-Transport-Security"].startswith("max-age="), name
        assert int(re.search(r"max-age=(\d+)", h["Strict-Transport-Security"])[1]) >= 31536000


def test_csp_nonce_is_fresh_and_matches_every_inline_script_and_style(app, client):
    assert "web" in app.blueprints  # fails, never skips, if the web chat is missing
    nonces = set()
    for path in ["/", "/", "/advisor/login"]:
        r = client.get(path)
        csp = r.headers["Content-Security-Policy"]
        nonce = re.search(r"'nonce-([A-Za-z0-9_\-+/=]+)'", csp)[1]
        nonces.add(nonce)
        html = r.get_data(as_text=True)
        inline = re.findall(r"<(script|style)(?![^>]*\bsrc=)([^>]*)>", html)
        for tag, attrs in inline:
            assert f'nonce="{nonce}"' in attrs, (path, tag, attrs)
        assert not re.search(r"\son[a-z]+\s*=", html), "no inline event handlers (CSP blocks them)"
    assert len(nonces) == 3, "a new nonce on every response"


def test_no_hsts_over_plain_http_for_local_use(settings, fake_rasa, fake_twilio):
    app = create_app(replace(settings, public_base_url="http://127.0.0.1:8000"), rasa=fake_rasa,
                     twilio=fake_twilio)
    r = app.test_client().get("/healthz")
    assert "Strict-Transport-Security" not in r.headers
    assert r.headers["X-Frame-Options"] == "DENY"
    app.extensions["db"].engine.dispose()


def test_cookies_are_secure_httponly_and_samesite(app, client):
    assert "web" in app.blueprints  # fails, never skips, if the web chat is missing
    r = client.post("/api/chat", json={"text": "hello"})
    cookies = r.headers.getlist("Set-Cookie")
    assert cookies
    for cookie in cookies:
        lower = cookie.lower()
        assert "secure" in lower and "httponly" in lower and "samesite=lax" in lower, cookie


def test_private_responses_are_not_cached(app, client):
    assert "web" in app.blueprints  # fails, never skips, if the web chat is missing
    client.post("/api/chat", json={"text": "hello"})
    for path in ("/api/chat", "/transcript.txt"):
        assert "no-store" in client.get(path).headers.get("Cache-Control", ""), path
