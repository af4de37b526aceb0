"""A phone number typed into the web chat is not the resident's identity until they prove it
with a one-time code texted to it (issue 14, item 1)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from handoff import verification
from storage.models import OptOutEvent, PhoneVerification, utcnow
from tests.web.conftest import post_form

OWNER = "+447700900123"
TYPED = "07700 900123"


@pytest.fixture
def owner_opted_out(router):
    """The real owner of the number told us by text not to keep their data."""
    thread = router.sms_thread(OWNER)
    router.record_choice(thread, "data_use", "opt_out", method="text", utterance="STOP DATA")
    return thread


def _script(fake_rasa) -> None:
    fake_rasa.reply_to("what choices do you hold", [{"custom": {"choices": True}}])
    fake_rasa.reply_to("you can use my data again", [
        {"text": "Thank you. We will keep your conversations again."},
        {"custom": {"withdraw": {"scope": "data_use"}}}])


def _wait_and_give_number(client, number: str = TYPED) -> None:
    post_form(client, "/talk-to-a-person", {})
    r = post_form(client, "/callback", {"phone": number, "preferred_time": "asap"})
    assert r.status_code == 303


def _ask(client, text: str) -> list[str]:
    return [r["text"] for r in client.post("/api/chat", json={"text": text}).get_json()["replies"]]


def _code(fake_twilio) -> str:
    sent = [r for r in fake_twilio.requests if r.kind == "messages.create"][-1].args
    return re.search(r"\b(\d{6})\b", sent["body"]).group(1)


def _owner_events(db) -> list[tuple[str, str]]:
    with db.session() as s:
        rows = s.scalars(select(OptOutEvent).order_by(OptOutEvent.id))
        return [(e.scope, e.action) for e in rows]


def test_an_unverified_number_cannot_see_or_withdraw_the_owners_choices(
        app, client, router, fake_rasa, fake_twilio, db, owner_opted_out, set_state):
    _script(fake_rasa)
    client.post("/api/chat", json={"text": "hello"})
    _wait_and_give_number(client)
    conv = client.get("/api/chat").get_json()["conversation_id"]
    set_state(conv, "bot")  # back with the assistant (as after an advisor hands back)

    # The attack from the issue: ask what choices the number holds, then withdraw them.
    assert _ask(client, "what choices do you hold") == [
        "We have no choices recorded for you. You can use the assistant or talk to a person."]
    _ask(client, "you can use my data again")

    # The owner's register entries are untouched; the withdrawal stays with this chat.
    assert router.choices(owner_opted_out) == {"data_use"}
    assert router.choices(router.sms_thread(OWNER)) == {"data_use"}
    assert _owner_events(db) == [("data_use", "opt_out"), ("data_use", "withdraw")]
    with db.session() as s:
        withdrawal = s.scalars(select(OptOutEvent).order_by(OptOutEvent.id.desc())).first()
        assert withdrawal.conversation_id == conv
        assert withdrawal.subject != router.subject_for(address=OWNER)
    assert fake_twilio.requests == []  # no code was even asked for


def test_guessing_the_code_fails_and_locks_after_a_few_attempts(
        client, router, fake_rasa, fake_twilio, db, owner_opted_out):
    client.post("/api/chat", json={"text": "hello"})
    _wait_and_give_number(client)
    assert post_form(client, "/verify-number", {}).status_code == 303
    real = _code(fake_twilio)
    wrong = f"{(int(real) + 1) % 10**6:06d}"
    for _ in range(verification.MAX_ATTEMPTS - 1):
        page = post_form(client, "/verify-number/check", {"code": wrong})
        assert page.status_code == 400 and "That code is not right" in page.get_data(as_text=True)
    page = post_form(client, "/verify-number/check", {"code": wrong})
    assert "entered wrongly too many times" in page.get_data(as_text=True)
    # Even the right code is refused now.
    page = post_form(client, "/verify-number/check", {"code": real})
    assert page.status_code == 400
    conv = client.get("/api/chat").get_json()["conversation_id"]
    assert router.choices(conv) == set()


def test_the_owner_proves_the_number_and_their_choices_apply(
        client, router, fake_rasa, fake_twilio, db, owner_opted_out):
    client.post("/api/chat", json={"text": "hello"})
    _wait_and_give_number(client)
    html = client.get("/").get_data(as_text=True)
    assert "Text me a code" in html
    post_form(client, "/verify-number", {})
    sent = [r for r in fake_twilio.requests if r.kind == "messages.create"][-1].args
    assert sent["to"] == OWNER and "Do not share it" in sent["body"]
    assert 'autocomplete="one-time-code"' in client.get("/").get_data(as_text=True)
    r = post_form(client, "/verify-number/check", {"code": " ".join(_code(fake_twilio))})
    assert r.status_code == 303
    conv = client.get("/api/chat").get_json()["conversation_id"]
    assert router.choices(conv) == {"data_use"}
    assert "apply to this chat" in client.get("/").get_data(as_text=True)
    with db.session() as s:
        stored = s.scalars(select(PhoneVerification)).one()
    assert _code(fake_twilio) not in stored.code_hash and stored.verified_at is not None


def test_codes_run_out(client, router, fake_twilio, db):
    client.post("/api/chat", json={"text": "hello"})
    _wait_and_give_number(client)
    post_form(client, "/verify-number", {})
    with db.session() as s:
        s.scalars(select(PhoneVerification)).one().expires_at = utcnow()
    page = post_form(client, "/verify-number/check", {"code": _code(fake_twilio)})
    assert "That code has run out" in page.get_data(as_text=True)


def test_few_codes_are_sent_to_one_number(client, fake_twilio):
    client.post("/api/chat", json={"text": "hello"})
    _wait_and_give_number(client)
    for _ in range(verification.MAX_CODES_PER_HOUR):
        assert post_form(client, "/verify-number", {}).status_code == 303
    page = post_form(client, "/verify-number", {})
    assert page.status_code == 400 and "too many codes" in page.get_data(as_text=True)
    assert len(fake_twilio.requests) == verification.MAX_CODES_PER_HOUR


def test_no_code_without_a_callback_number(client, fake_twilio):
    client.post("/api/chat", json={"text": "hello"})
    page = post_form(client, "/verify-number", {})
    assert page.status_code == 400 and "Ask us to call you back first" in page.get_data(
        as_text=True)
    assert fake_twilio.requests == []


def test_erasure_removes_the_numbers_codes(client, app, router, fake_twilio, db):
    from privacy.data_rights import SubjectRef, erase

    client.post("/api/chat", json={"text": "hello"})
    _wait_and_give_number(client)
    post_form(client, "/verify-number", {})
    ref = SubjectRef.from_request(app.extensions["settings"].optout_hmac_key, phone=TYPED)
    erase(db, ref)
    with db.session() as s:
        assert s.scalars(select(PhoneVerification)).all() == []
