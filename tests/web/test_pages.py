"""The web chat page without JavaScript (forms, post/redirect/get) and the shared pages."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.identity import PHONE_FORMAT_ERROR
from storage.models import CallbackRequest, Conversation, HandoffTicket, Message
from tests.govuk import error_page
from tests.web.conftest import post_form

BUTTONS = [{"title": "Bin collections", "payload": "/ask_bins"},
           {"title": "Talk to a person", "payload": "/request_human"}]


def _conversation_id(db) -> str:
    with db.session() as s:
        return s.scalars(select(Conversation.id)).one()


def test_empty_chat_page_has_the_accessible_structure(client):
    r = client.get("/")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert html.count('role="log"') == 1  # the one live region
    assert "aria-live" not in html and 'role="alert"' not in html and 'role="status"' not in html
    assert 'aria-labelledby="conversation-heading"' in html
    assert 'href="#main-content"' in html and 'id="main-content"' in html
    assert '<label class="govuk-label govuk-label--s" for="message">Your message</label>' in html
    assert "<title>Chat with us – Contact assistant – Herefordshire Council</title>" in html
    # "Talk to a person" with the phone number and opening hours.
    assert "Talk to a person" in html and "01432 260000" in html
    assert 'href="tel:01432260000"' in html
    assert "Monday to Sunday" in html
    assert 'href="/accessibility"' in html
    assert "No messages yet" in html


def test_every_inline_script_and_style_has_the_csp_nonce(client):
    r = client.get("/")
    nonce = re.search(r"'nonce-([^']+)'", r.headers["Content-Security-Policy"]).group(1)
    html = r.get_data(as_text=True)
    inline = re.findall(r"<(script|style)(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline, "expected the js-enabled script and the brand colour style"
    for _tag, attrs in inline:
        assert f'nonce="{nonce}"' in attrs
    assert " style=" not in html  # the CSP forbids inline style attributes


def test_the_brand_colour_comes_from_config_and_is_sanitised(app, client):
    app.config["COUNCIL_BRAND_COLOUR"] = "#123456"
    assert "--council-brand-colour:#123456" in client.get("/").get_data(as_text=True)
    app.config["COUNCIL_BRAND_COLOUR"] = "red;}</style><script>alert(1)</script>"
    html = client.get("/").get_data(as_text=True)
    assert "alert(1)" not in html and "--council-brand-colour:#00594f" in html


def test_form_post_redirects_and_re_renders_the_conversation(client, fake_rasa):
    fake_rasa.reply_to("when is my bin collected", [{"text": "Which postcode?"}])
    r = post_form(client, "/", {"message": "when is my bin collected"})
    assert r.status_code == 303 and r.headers["Location"] == "/"
    html = client.get("/").get_data(as_text=True)
    assert "You said" in html and "when is my bin collected" in html
    assert "Assistant" in html and "Which postcode?" in html
    assert re.search(r"<textarea[^>]*autofocus", html)  # focus back in the message box
    # autofocus only straight after sending
    assert not re.search(r"<textarea[^>]*autofocus", client.get("/").get_data(as_text=True))


def test_quick_replies_are_submit_buttons_posting_their_payload(client, fake_rasa):
    fake_rasa.reply_to("hello", [{"text": "Hi", "buttons": BUTTONS}])
    post_form(client, "/", {"message": "hello"})
    html = client.get("/").get_data(as_text=True)
    assert '<button type="submit" name="payload" value="/ask_bins"' in html
    r = post_form(client, "/", {"payload": "/ask_bins"})
    assert r.status_code == 303
    assert fake_rasa.calls[-1]["text"] == "/ask_bins"
    html = client.get("/").get_data(as_text=True)
    # The press shows as the button's title, and old quick replies are gone.
    assert "<p class=\"council-chat__text\">Bin collections</p>" in html
    assert 'value="/ask_bins"' not in html


@pytest.mark.parametrize("message,error", [
    ("", "Enter a message"),
    ("   ", "Enter a message"),
    ("x" * 1001, "Your message must be 1,000 characters or fewer"),
])
def test_form_errors_are_govuk_style(client, fake_rasa, message, error):
    html = error_page(post_form(client, "/", {"message": message}), {"message": error},
                      "Chat with us")
    assert "govuk-form-group--error" in html and "govuk-textarea--error" in html
    assert 'aria-describedby="message-hint message-error"' in html
    assert fake_rasa.calls == []
    if message.strip():
        assert message in html  # what they typed is kept


def test_html_in_messages_is_shown_as_text(client, fake_rasa):
    fake_rasa.reply_to("<script>alert(1)</script>",
                       [{"text": "<b>bold</b> <img src=x onerror=alert(2)>"}])
    post_form(client, "/", {"message": "<script>alert(1)</script>"})
    html = client.get("/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html


def test_talk_to_a_person_shows_the_queue_honestly(client, fake_rasa, db, advisor_online):
    post_form(client, "/", {"message": "hello"})
    r = post_form(client, "/talk-to-a-person", {})
    assert r.status_code == 303 and r.headers["Location"].endswith("#conversation-status")
    html = client.get("/").get_data(as_text=True)
    assert "You are waiting to talk to a person" in html
    assert re.search(r"Your place in the queue</dt>\s*<dd[^>]*>1</dd>", html)
    assert re.search(r"Expected wait</dt>\s*<dd[^>]*>About 6 minutes</dd>", html)
    assert "Check for new messages" in html
    with db.session() as s:
        assert s.scalars(select(HandoffTicket.reason)).one() == "requested"


def test_talk_to_a_person_works_from_any_page_and_starts_a_conversation(client, db):
    r = post_form(client, "/talk-to-a-person", {})
    assert r.status_code == 303
    assert "You are waiting to talk to a person" in client.get("/").get_data(as_text=True)
    assert _conversation_id(db)


def test_callback_form_when_nobody_is_available(client, db):
    post_form(client, "/talk-to-a-person", {})
    html = client.get("/").get_data(as_text=True)
    assert "Ask us to call you back" in html
    assert "We cannot tell you how long the wait will be" in html

    html = error_page(post_form(client, "/callback", {"phone": "not a number"}), {
        "phone": PHONE_FORMAT_ERROR,
        "preferred_time": "Select when you would like us to call you",
    })
    assert 'value="not a number"' in html

    r = post_form(client, "/callback", {"phone": "07700 900982", "preferred_time": "morning"})
    assert r.status_code == 303
    with db.session() as s:
        cb = s.scalars(select(CallbackRequest)).one()
    assert cb.preferred_time == "In the morning (9am to 12pm)"
    assert cb.phone and cb.phone.endswith("7700900982")
    html = client.get("/").get_data(as_text=True)
    assert "You asked us to call you back" in html
    assert 'id="callback-form"' not in html


def test_closed_conversation_asks_for_a_rating(client, db, set_state):
    post_form(client, "/talk-to-a-person", {})
    set_state(_conversation_id(db), "closed")
    html = client.get("/").get_data(as_text=True)
    assert "The advisor has ended the conversation" in html
    assert "How satisfied are you with the help you got?" in html
    assert html.count('name="rating" type="radio"') == 5

    r = post_form(client, "/rating", {})
    assert r.status_code == 400
    assert '<a href="#rating">Select how satisfied' in r.get_data(as_text=True)
    assert post_form(client, "/rating", {"rating": "9"}).status_code == 400

    assert post_form(client, "/rating", {"rating": "4"}).status_code == 303
    with db.session() as s:
        assert s.get(Conversation, _conversation_id(db)).satisfaction == 4
    html = client.get("/").get_data(as_text=True)
    assert "Thank you" in html and 'id="rating-form"' not in html


def test_rating_state_in_the_api(client, db, set_state):
    client.post("/api/chat", json={"text": "/request_human"})
    set_state(_conversation_id(db), "closed")
    body = client.get("/api/chat").get_json()
    assert body["state"] == "closed" and body["rating"] == {"given": False}


def test_transcript_download(client, fake_rasa):
    assert client.get("/transcript.txt").status_code == 404
    fake_rasa.reply_to("hello <b>", [{"text": "Hi", "buttons": BUTTONS}])
    post_form(client, "/", {"message": "hello <b>"})
    r = client.get("/transcript.txt")
    assert r.status_code == 200
    assert r.mimetype == "text/plain"
    assert r.headers["Content-Disposition"].startswith('attachment; filename="conversation-')
    text = r.get_data(as_text=True)
    assert "You said: hello <b>" in text and "Assistant: Hi" in text
    assert "(option: Bin collections)" in text


def test_the_page_says_when_the_session_ends(client):
    html = client.get("/").get_data(as_text=True)
    assert "closes if you do nothing for 30 minutes" in html
    assert "data-timeout-dialog" in html and 'data-session-seconds="1800"' in html


def test_a_stale_form_gets_a_friendly_page(client):
    r = client.post("/", data={"message": "hi", "csrf_token": "stale"})
    assert r.status_code == 400
    assert "Your session has ended" in r.get_data(as_text=True)


def test_form_rate_limit_shows_the_429_page(client, app):
    app.config["RATELIMIT_CHAT"] = "1 per minute"
    post_form(client, "/", {"message": "one"})
    r = post_form(client, "/", {"message": "two"})
    assert r.status_code == 429
    html = r.get_data(as_text=True)
    assert "You have sent too many messages" in html and "Talk to a person" in html


def test_accessibility_statement(client):
    r = client.get("/accessibility")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "Accessibility statement" in html and "WCAG" in html and "2.2 AA" in html
    assert "Equality Advisory and Support Service" in html


def test_404_page_in_the_same_style(client):
    r = client.get("/no-such-page")
    assert r.status_code == 404
    html = r.get_data(as_text=True)
    assert "Page not found" in html and "Talk to a person" in html and "govuk-footer" in html


def test_500_page_html_and_json(app):
    app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    @app.get("/api/boom")
    def api_boom():
        raise RuntimeError("boom")

    client = app.test_client()
    r = client.get("/boom")
    assert r.status_code == 500 and "Sorry, there is a problem with the service" in r.get_data(
        as_text=True)
    r = client.get("/api/boom")
    assert r.status_code == 500 and r.get_json()["status"] == 500


def test_413_for_a_huge_form_post_is_html(client, app):
    big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    r = post_form(client, "/", {"message": big})
    assert r.status_code == 413
    assert "Your message is too long" in r.get_data(as_text=True)


def test_end_chat_forgets_the_conversation_on_this_computer(client, fake_rasa, db):
    fake_rasa.reply_to("my address is 1 High Street", [{"text": "Thank you."}])
    post_form(client, "/", {"message": "my address is 1 High Street"})
    assert "1 High Street" in client.get("/").get_data(as_text=True)
    r = post_form(client, "/end-chat", {})
    assert r.status_code == 303
    html = client.get("/").get_data(as_text=True)
    assert "Your chat has ended" in html and "1 High Street" not in html
    assert client.get("/api/chat").get_json()["messages"] == []
    assert client.get("/transcript.txt").status_code == 404
    with db.session() as s:  # the advisors still have it
        texts = s.scalars(select(Message.text).order_by(Message.id)).all()
    assert texts[-1] == "The resident ended the chat on their device."


def test_pages_that_show_a_conversation_are_never_cached(client, fake_rasa):
    post_form(client, "/", {"message": "hello"})
    for path in ("/", "/api/chat", "/transcript.txt"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
