"""Button payloads ("/intent{...}") are accepted only when the assistant offered that button in
its last turn, checked on the server; any other leading "/" is plain words (issue 14, item 2)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handoff.signals import as_plain_text
from storage.models import HandoffTicket, OptOutEvent
from tests.web.conftest import post_form

OPT_OUT_PAYLOAD = '/opt_out_data_use{"scope": "data_use"}'
BUTTONS = [{"title": "Bin collections", "payload": "/ask_bins"},
           {"title": "Do not keep my data", "payload": OPT_OUT_PAYLOAD}]


def script_rasa(fake_rasa) -> None:
    """What real Rasa does with intent syntax: '/safeguarding_concern' is that intent."""
    fake_rasa.reply_to("hello", [{"text": "Hello. What can I help with?", "buttons": BUTTONS}])
    fake_rasa.reply_to("/safeguarding_concern", [
        {"text": "I am getting a person to help you now."},
        {"custom": {"handoff": {"reason": "safeguarding", "priority": 1}}}])
    fake_rasa.reply_to(OPT_OUT_PAYLOAD, [
        {"text": "We will not keep this conversation."},
        {"custom": {"opt_out": {"scope": "data_use", "utterance": "button"}}}])


def tickets(db) -> list[tuple[str, int]]:
    with db.session() as s:
        return [(t.reason, t.priority) for t in s.scalars(select(HandoffTicket))]


def methods(db) -> list[tuple[str, str]]:
    with db.session() as s:
        return [(e.scope, e.method) for e in s.scalars(select(OptOutEvent))]


def api(client, text: str):
    return client.post("/api/chat", json={"text": text})


@pytest.mark.parametrize("text,plain", [
    ("/safeguarding_concern", "safeguarding_concern"),
    (" //x{\"a\": 1}", 'x{"a": 1}'),
    ("hello /there", "hello /there"),
])
def test_plain_text_never_starts_with_intent_syntax(text, plain):
    assert as_plain_text(text) == plain


def test_typed_safeguarding_payload_does_not_jump_the_queue(client, fake_rasa, db):
    script_rasa(fake_rasa)
    api(client, "hello")
    body = api(client, "/safeguarding_concern").get_json()
    assert fake_rasa.calls[-1]["text"] == "safeguarding_concern"  # the words, not the intent
    assert body["state"] == "bot" and tickets(db) == []


@pytest.mark.parametrize("route", ["api", "form_payload", "form_message"])
def test_typed_opt_out_payload_is_not_recorded_as_a_button(client, fake_rasa, db, route):
    fake_rasa.reply_to("hello", [{"text": "Hi"}])  # no buttons offered
    fake_rasa.reply_to(as_plain_text(OPT_OUT_PAYLOAD), [
        {"text": "Okay."}, {"custom": {"opt_out": {"scope": "data_use"}}}])
    api(client, "hello")
    if route == "api":
        api(client, OPT_OUT_PAYLOAD)
    else:
        field = "payload" if route == "form_payload" else "message"
        post_form(client, "/", {field: OPT_OUT_PAYLOAD})
    assert fake_rasa.calls[-1]["text"] == as_plain_text(OPT_OUT_PAYLOAD)
    assert methods(db) == [("data_use", "text")]


def test_an_offered_button_still_works_and_is_recorded_as_a_button(client, fake_rasa, db):
    script_rasa(fake_rasa)
    api(client, "hello")
    body = api(client, OPT_OUT_PAYLOAD).get_json()
    assert fake_rasa.calls[-1]["text"] == OPT_OUT_PAYLOAD
    assert body["replies"][0]["text"] == "We will not keep this conversation."
    assert methods(db) == [("data_use", "button")]


def test_no_js_form_button_still_works(client, fake_rasa, db):
    script_rasa(fake_rasa)
    post_form(client, "/", {"message": "hello"})
    post_form(client, "/", {"payload": "/ask_bins"})
    assert fake_rasa.calls[-1]["text"] == "/ask_bins"


def test_a_button_from_an_earlier_turn_is_no_longer_accepted(client, fake_rasa):
    script_rasa(fake_rasa)
    api(client, "hello")
    api(client, "something else")  # the assistant's answer offers no buttons
    api(client, "/ask_bins")
    assert fake_rasa.calls[-1]["text"] == "ask_bins"
