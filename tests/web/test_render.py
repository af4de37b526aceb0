"""Pure functions of the web chat: parsing, validation and view models."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from channels import web_render as render
from contact_assistant.pages import contrast_ratio, council_context, safe_colour, text_colour_on
from core import identity
from core.vocabulary import ConversationState
from handoff.router import ConversationSnapshot, MessageView


@pytest.mark.parametrize("mimetype,body,status", [
    ("text/plain", b'{"text": "hi"}', 415),
    (None, b'{"text": "hi"}', 415),
    ("application/json", b"{nope", 400),
    ("application/json", b"\xff\xfe", 400),
    ("application/json", b"", 400),
    ("application/json", b'"hi"', 400),
    ("application/json", b'{"message": "hi"}', 400),
    ("application/json", b'{"text": ["hi"]}', 400),
    ("application/json", b'{"text": "  "}', 400),
    ("application/json", b'{"text": "' + b"x" * 1001 + b'"}', 413),
    ("application/json", b'{"text": "hi", "after": "x"}', 400),
    ("application/json", b'{"text": "hi", "after": true}', 400),
])
def test_parse_chat_request_refuses_bad_input(mimetype, body, status):
    with pytest.raises(render.PayloadError) as exc:
        render.parse_chat_request(mimetype, body, 1000)
    assert exc.value.status == status and exc.value.message


def test_parse_chat_request_accepts_text_and_buttons():
    parsed = render.parse_chat_request("application/json", b'{"text": "  hello "}', 1000)
    assert parsed == render.ChatInput("hello", is_button=False, after=None)
    parsed = render.parse_chat_request("application/json", b'{"text": "/affirm", "after": 3}', 1000)
    assert parsed.is_button and parsed.after == 3


def test_handoff_payload_is_recognised():
    assert render.is_handoff_request("/request_human")
    assert render.is_handoff_request('/request_human{"reason": "x"}')
    assert not render.is_handoff_request("request a human")


@pytest.mark.parametrize("phone,ok", [("01432 260000", True), ("07700 900 982", True),
                                      ("+44 808 157 0192", True), ("123", False),
                                      ("call me maybe", False), ("", False),
                                      # The old hand-written digit count got these wrong:
                                      ("0044 7700 900982", True), ("07700.900.982", True),
                                      ("12345678901", False)])
def test_callback_phone_validation(phone, ok):
    _values, errors = render.validate_callback(phone, "asap")
    assert ("phone" not in errors) is ok


def test_callback_phone_errors_are_core_identitys_with_an_example():
    assert render.validate_callback("", "asap")[1]["phone"] == identity.PHONE_MISSING
    assert render.validate_callback("123", "asap")[1]["phone"] == identity.PHONE_FORMAT_ERROR
    assert identity.PHONE_EXAMPLE in identity.PHONE_FORMAT_ERROR


def test_callback_time_must_be_one_of_the_choices():
    _values, errors = render.validate_callback("01432 260000", "midnight")
    assert errors == {"preferred_time": "Select when you would like us to call you"}


@pytest.mark.parametrize("raw,score", [("1", 1), ("5", 5), ("0", None), ("6", None),
                                       ("", None), (None, None), ("x", None)])
def test_rating_validation(raw, score):
    assert render.validate_rating(raw)[0] == score


def test_button_presses_show_their_titles():
    messages = [
        {"id": 1, "sender": "bot", "text": "Pick",
         "buttons": [{"title": "Yes", "payload": "/affirm"}]},
        {"id": 2, "sender": "resident", "text": "/affirm"},
        {"id": 3, "sender": "resident", "text": "/request_human"},
        {"id": 4, "sender": "resident", "text": "/unknown"},
    ]
    assert render.display_text(messages) == ["Pick", "Yes", "Talk to a person", "/unknown"]


def _snapshot(state: str, messages: list[MessageView]) -> ConversationSnapshot:
    return ConversationSnapshot(
        conversation_id="c", channel="web", state=ConversationState(state), queue=None,
        satisfaction=None, address=None, last_bot_text=None, failed_turns=0,
        offered_payloads=(), slow_speech=False, last_prompt=None, sms_intro_sent=False,
        callback_requested=False, messages=tuple(messages))


def test_chat_view_quick_replies_only_on_the_latest_bot_turn():
    messages = [
        MessageView(1, "bot", "a", [{"title": "A", "payload": "/a"}], "2025-01-01T12:00:00Z"),
        MessageView(2, "resident", "hi", [], "2025-01-01T12:01:00Z"),
        MessageView(3, "bot", "b", [{"title": "B", "payload": "/b"}], "2025-06-01T12:01:00Z"),
    ]
    snap = _snapshot("bot", messages)
    view = render.chat_view(snap, tz="Europe/London", now=datetime(2025, 1, 1, 12, tzinfo=UTC),
                            session_seconds=1800, opening_hours="always", max_chars=1000)
    assert [bool(m["buttons"]) for m in view["messages"]] == [False, False, True]
    assert [m["label"] for m in view["messages"]] == ["Assistant", "You said", "Assistant"]
    assert view["messages"][0]["time"] == "12:00pm"
    assert view["messages"][2]["time"] == "1:01pm"  # British Summer Time
    assert view["session_ends"] == "12:30pm" and view["last_id"] == 3
    snap = _snapshot("waiting", messages)
    view = render.chat_view(snap, tz="Europe/London", now=datetime(2025, 1, 1, tzinfo=UTC),
                            session_seconds=1800, opening_hours="always", max_chars=1000)
    assert not any(m["buttons"] for m in view["messages"]) and view["polling"]


@pytest.mark.parametrize("queue,text", [
    ({"open_now": False, "advisors_available": 0}, "Our advisors are not working right now"),
    ({"open_now": True, "advisors_available": 0}, "We cannot tell you how long the wait will be"),
    ({"open_now": True, "advisors_available": 2, "expected_wait_minutes": 1}, "About 1 minute"),
    ({"open_now": True, "advisors_available": 2, "expected_wait_minutes": 9}, "About 9 minutes"),
])
def test_wait_text_is_honest(queue, text):
    assert render.wait_text(queue).startswith(text)


def test_api_body_actions_follow_the_state():
    assert render.api_body("c", "bot")["actions"] == [render.TALK_TO_A_PERSON]
    body = render.api_body("c", "waiting", queue={"position": 2, "expected_wait_minutes": 12,
                                                  "advisors_available": 1, "open_now": True,
                                                  "offer_callback": False})
    assert body["actions"] == [] and body["queue"]["position"] == 2
    assert body["queue_text"] == {"position": "2", "wait": "About 12 minutes"}


def test_transcript_is_plain_text():
    snap = _snapshot("bot", [MessageView(1, "resident", "<b>hi</b>", [], "2025-01-01T09:05:00Z")])
    text = render.transcript(snap, council_name="Borsetshire Council", service_name="Chat",
                             tz="Europe/London", now=datetime(2025, 1, 1, 10, tzinfo=UTC))
    assert text.splitlines()[0] == "Borsetshire Council – Chat"
    assert "1 January 2025 at 10:00am" in text
    assert "[9:05am] You said: <b>hi</b>" in text


def test_brand_colour_is_safe_and_readable():
    assert safe_colour("#abc") == "#abc"
    assert safe_colour("url(javascript:x)") == "#00594f"
    assert text_colour_on("#00594f") == "#ffffff"
    assert text_colour_on("#ffdd00") == "#0b0c0c"
    assert contrast_ratio("#ffffff", "#000000") == pytest.approx(21)


def test_council_context_from_config():
    ctx = council_context({"COUNCIL_NAME": "Borsetshire Council",
                           "COUNCIL_PHONE": "0300 123 4567",
                           "OPENING_HOURS": "Mon-Fri 09:00-17:00",
                           "COUNCIL_BRAND_COLOUR": "#112233",
                           "PERMANENT_SESSION_LIFETIME": 600})
    assert ctx["council"]["phone_href"] == "tel:03001234567"
    assert ctx["council"]["opening_hours"] == "Monday to Friday, 9am to 5pm"
    assert ctx["COUNCIL_BRAND_COLOUR"] == "#112233" and ctx["session_minutes"] == 10


@pytest.mark.parametrize("raw", [float("inf"), float("-inf"), float("nan"), 1e999])
def test_after_that_is_not_a_number_is_refused(raw):
    with pytest.raises(render.PayloadError, match="whole number"):
        render.parse_after(raw)


def test_a_rating_that_is_not_a_number_is_refused():
    assert render.validate_rating(float("inf")) == (
        None, "Select how satisfied you are with the help you got")
