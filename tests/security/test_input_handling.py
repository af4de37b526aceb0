"""Hostile and unusual input: stored XSS, SQL injection, oversized bodies, unicode, rate limits."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from storage.models import Conversation, HandoffTicket, Message, OptOutEvent
from tests.security.conftest import add_advisor, sign, sign_in

XSS = [
    "<script>alert('xss')</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(document.cookie)>",
    "javascript:alert(1)",
    "{{ config.SECRET_KEY }}",
    "</textarea><iframe src=//evil.example>",
]
SQLI = [
    "'; DROP TABLE messages; --",
    "1' OR '1'='1",
    "Robert'); DELETE FROM conversations WHERE ('1'='1",
    "\" UNION SELECT password_hash FROM advisors --",
    "%' AND 1=0 UNION ALL SELECT NULL--",
]
UNICODE = [
    "Diolch yn fawr – ŵ ŷ â ê î ô û",
    "مرحبا، أحتاج مساعدة في ضريبة المجلس",
    "שלום, הפח שלי לא נאסף",
    "🗑️ bin not collected 😡👍🏽",
    "zero\u200bwidth and \u202eright-to-left override",
    "𝕌𝕟𝕚𝕔𝕠𝕕𝕖 𝔪𝔞𝔱𝔥 ﷽",
]


def _chat(client, text: str):
    return client.post("/api/chat", json={"text": text})


@pytest.fixture(autouse=True)
def _web(app):
    assert "web" in app.blueprints  # fails, never skips, if the web chat is missing


def _echo_everything(fake_rasa):
    """The bot repeats what it heard (worst case: hostile text comes back from the assistant)."""
    from handoff.rasa_client import AssistantTurn

    fake_rasa.handler = lambda channel, sender, text, meta: AssistantTurn(
        messages=[{"text": f"You said: {text}",
                   "buttons": [{"title": text[:80], "payload": "/x"}]}],
        intent="inform", confidence=0.9)


def _all_echoed(client, fake_rasa, texts: list[str]) -> None:
    """Each text is chatted and comes back from the echoing bot exactly as it was sent."""
    _echo_everything(fake_rasa)
    for text in texts:
        r = _chat(client, text)
        assert r.status_code == 200
        assert r.get_json()["replies"][0]["text"] == f"You said: {text}"


def test_stored_xss_is_shown_as_text_in_chat_console_and_transcript(app, client, db, fake_rasa):
    _all_echoed(client, fake_rasa, XSS)
    # The no-JavaScript chat page shows them escaped.
    page = client.get("/").get_data(as_text=True)
    for payload in XSS:
        if "<" in payload:
            assert payload not in page, payload
    assert "&lt;script&gt;alert(" in page and "<script>alert(" not in page
    assert "{{ config.SECRET_KEY }}" in page.replace("&#39;", "'")  # not evaluated
    assert app.config["SECRET_KEY"] not in page

    # The JSON API returns the text as data, as JSON (never HTML).
    r = client.get("/api/chat")
    assert r.mimetype == "application/json"
    texts = [m["text"] for m in r.get_json()["messages"]]
    assert XSS[0] in texts

    # The transcript download is plain text, an attachment, and not sniffable as HTML.
    r = client.get("/transcript.txt")
    assert r.status_code == 200 and r.mimetype == "text/plain"
    assert r.headers["Content-Disposition"].startswith("attachment")
    assert r.headers["X-Content-Type-Options"] == "nosniff"

    # The advisor console shows the conversation with the payloads escaped.
    if "console" not in app.blueprints:
        return
    from tests.security.conftest import csrf_token

    token = csrf_token(client.get("/").get_data(as_text=True))
    assert client.post("/talk-to-a-person", data={"csrf_token": token}).status_code == 303
    with db.session() as s:
        ticket = s.scalars(select(HandoffTicket)).one()
    advisor = app.test_client()
    advisor.environ_base["HTTP_REFERER"] = "https://localhost/"
    add_advisor(db, "admin", "admin@example.gov.uk")
    sign_in(advisor, "admin@example.gov.uk")
    pages = [advisor.get("/advisor/").get_data(as_text=True),
             advisor.get(f"/advisor/conversation/{ticket.id}").get_data(as_text=True)]
    for rule in app.url_map.iter_rules():  # any downloads the console offers
        if rule.rule.startswith("/advisor") and any(k in rule.rule for k in ("download", "export",
                                                                               ".csv", ".txt")):
            url = rule.rule.replace("<int:ticket_id>", str(ticket.id))
            if "<" not in url:
                r = advisor.get(url)
                assert r.mimetype != "text/html", url
                assert r.headers.get("X-Content-Type-Options") == "nosniff"
    for html in pages:
        for payload in XSS:
            if "<" in payload:
                assert payload not in html, payload
    assert "&lt;script&gt;alert(" in pages[1]  # the conversation page shows it, as text
    api = advisor.get(f"/advisor/api/conversation/{ticket.id}")
    assert api.mimetype == "application/json"


def test_sql_injection_strings_are_stored_verbatim_and_harmless(client, db, fake_rasa):
    _all_echoed(client, fake_rasa, SQLI)
    with db.session() as s:
        stored = list(s.scalars(select(Message.text).where(Message.sender == "resident")
                                .order_by(Message.id)))
        assert stored == SQLI
        assert s.scalar(select(func.count()).select_from(Conversation)) == 1
    for payload in SQLI:  # in query strings and paths too
        assert client.get("/api/chat", query_string={"after": payload}).status_code == 400
        assert client.get(f"/advisor/conversation/{payload}").status_code in (302, 303, 404)


def test_sql_injection_in_sign_in_is_refused(app, client, db):
    assert "console" in app.blueprints
    add_advisor(db, "admin", "admin@example.gov.uk")
    from tests.security.conftest import csrf_token

    for payload in ("admin@example.gov.uk' --", "' OR 1=1 --"):
        token = csrf_token(client.get("/advisor/login").get_data(as_text=True))
        r = client.post("/advisor/login", data={"email": payload, "password": "' OR '1'='1",
                                                "csrf_token": token})
        assert r.status_code in (200, 400, 429)
        assert client.get("/advisor/").status_code in (302, 303)


def test_unicode_emoji_and_right_to_left_text_round_trip(client, db, fake_rasa):
    _all_echoed(client, fake_rasa, UNICODE)
    assert fake_rasa.calls[-1]["text"] == UNICODE[-1]
    messages = client.get("/api/chat").get_json()["messages"]
    resident = [m["text"] for m in messages if m["sender"] == "resident"]
    assert resident == UNICODE
    transcript = client.get("/transcript.txt")
    assert "charset=utf-8" in transcript.headers["Content-Type"].lower()
    body = transcript.get_data().decode("utf-8")
    for text in UNICODE:
        assert text in body
    page = client.get("/").get_data(as_text=True)
    assert "مرحبا" in page and "🗑️" in page


def test_oversized_bodies_are_refused_with_413(app, client, db):
    big = "x" * (70 * 1024)
    assert client.post("/api/chat", data=json.dumps({"text": big}),
                       content_type="application/json").status_code == 413
    # Just over the per-message limit, under the body limit: still 413, with a clear message.
    r = _chat(client, "y" * (app.config["MAX_MESSAGE_CHARS"] + 1))
    assert r.status_code == 413 and "characters or fewer" in r.get_json()["error"]
    assert client.post("/", data={"message": big}).status_code == 413
    for path in ("/voice/respond", "/sms/incoming"):
        if any(r.rule == path for r in app.url_map.iter_rules()):
            params = {"CallSid": "CA" + "1" * 32, "From": "+447700900123", "SpeechResult": big,
                      "Body": big}
            r = client.post(path, data=params, headers=sign(app, path, params))
            assert r.status_code == 413, path
    if "console" in app.blueprints:
        assert client.post("/advisor/login", data={"email": big, "password": big}).status_code \
            == 413
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 0


def test_api_refuses_non_json_so_cross_site_forms_cannot_post(client, db):
    for ctype in ("application/x-www-form-urlencoded", "text/plain", "multipart/form-data"):
        r = client.post("/api/chat", data='{"text": "hello"}', content_type=ctype)
        assert r.status_code in (400, 415), ctype
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 0


def test_the_no_javascript_forms_need_a_csrf_token(app, client, db):
    from tests.security.conftest import csrf_token

    for path in ("/", "/talk-to-a-person", "/callback", "/rating"):
        if not any(r.rule == path and "POST" in r.methods for r in app.url_map.iter_rules()):
            continue
        assert client.post(path, data={"message": "hello", "phone": "01432 260000",
                                       "preferred_time": "asap", "rating": "5"}).status_code == 400
    # A valid token from another site's page (a cross-site Referer) is refused too.
    token = csrf_token(client.get("/").get_data(as_text=True))
    r = client.post("/", data={"message": "hello", "csrf_token": token},
                    headers={"Referer": "https://evil.example/"})
    assert r.status_code == 400
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 0


def test_chat_is_rate_limited_with_429(app, settings, fake_rasa, fake_twilio):
    from dataclasses import replace

    from contact_assistant.app import create_app

    limited = create_app(replace(settings, ratelimit_chat="3 per minute"), rasa=fake_rasa,
                         twilio=fake_twilio)
    limited.config.update(TESTING=True)
    c = limited.test_client()
    statuses = [c.post("/api/chat", json={"text": f"hello {i}"}).status_code for i in range(6)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429, 429], statuses
    r = c.post("/api/chat", json={"text": "again"})
    assert r.status_code == 429 and r.headers.get("Retry-After")
    limited.extensions["db"].engine.dispose()


def test_opt_out_register_cannot_be_rewritten(db):
    from datetime import UTC, datetime

    with db.session() as s:
        s.add(OptOutEvent(subject="s", scope="sms", action="opt_out", channel="sms",
                          method="text", notice_version="v1", at=datetime.now(UTC)))
    with pytest.raises(Exception, match="append-only"), db.session() as s:
        s.scalars(select(OptOutEvent)).one().scope = "data_use"
