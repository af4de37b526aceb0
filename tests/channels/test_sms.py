"""SMS: the same assistant by text, with PERSON, STOP and START."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from channels import sms
from handoff import queue as ops
from handoff.results import MessageView
from storage.models import (
    CallbackRequest,
    Conversation,
    HandoffTicket,
    Message,
    OptOutEvent,
    utcnow,
)
from tests.channels.conftest import CALLER, Phone, closed_hours, parse
from tests.conftest import add_advisor_row
from tests.handoff.test_payloads import OPT_OUT_PAYLOAD, script_rasa

CLOSED = pytest.mark.parametrize("settings", [{"opening_hours": closed_hours()}], indirect=True)
STOP_WORDS = ["STOP", "stop", "Stop.", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"]


def text(twilio, body: str, number: str = CALLER):
    params = {"MessageSid": "SM" + "1" * 32, "AccountSid": "AC" + "1" * 32, "From": number,
              "To": "+441432000000", "Body": body, "NumMedia": "0"}
    root = parse(twilio.post("/sms/incoming", params))
    return ["".join(m.itertext()) for m in root.iter("Message")]


def _events(db):
    with db.session() as s:
        return [(e.scope, e.action, e.method, e.channel)
                for e in s.scalars(select(OptOutEvent).order_by(OptOutEvent.id))]


def test_a_text_goes_to_the_sms_channel_and_the_reply_comes_back(twilio, fake_rasa):
    fake_rasa.reply_to("when is my bin day", [{"text": "Text me your postcode."}],
                       intent="bin_collection_day")
    replies = text(twilio, "when is my bin day")
    assert replies == ["Text me your postcode.\nReply PERSON to talk to someone."]
    assert fake_rasa.calls[0]["channel"] == "sms"
    assert fake_rasa.calls[0]["text"] == "when is my bin day"
    # the same thread, and the footer only once
    assert text(twilio, "when is my bin day") == ["Text me your postcode."]
    assert fake_rasa.calls[1]["sender"] == fake_rasa.calls[0]["sender"]


def test_several_replies_are_joined_into_one_text(twilio, fake_rasa):
    fake_rasa.reply_to("hi", [{"text": "Hello."}, {"text": "How can I help?"}], intent="greet")
    text(twilio, "hi")
    assert text(twilio, "hi") == ["Hello.\n\nHow can I help?"]


def test_buttons_become_numbered_replies_and_a_number_picks_one(twilio, fake_rasa):
    fake_rasa.reply_to("hi", [{"text": "What do you need?", "buttons": [
        {"title": "Bin day", "payload": "/bin_collection_day"},
        {"title": "Talk to a person", "payload": "/request_human"}]}], intent="greet")
    fake_rasa.reply_to("/bin_collection_day", [{"text": "Text me your postcode."}],
                       intent="bin_collection_day")
    replies = text(twilio, "hi")
    assert replies[0].startswith(
        "What do you need?\nReply 1 for Bin day\nReply 2 for Talk to a person")
    assert text(twilio, "1") == ["Text me your postcode."]
    assert fake_rasa.calls[-1]["text"] == "/bin_collection_day"


def test_a_long_reply_is_cut_to_three_segments(twilio, fake_rasa):
    fake_rasa.reply_to("everything", [{"text": "Here is a lot to say. " * 60}])
    reply = text(twilio, "everything")[0]
    assert len(reply) <= 3 * 153
    assert "..." in reply


@pytest.mark.parametrize("word", ["PERSON", "person", "Person!"])
def test_person_hands_over(twilio, fake_rasa, db, word):
    replies = text(twilio, word)
    assert "call you back" in replies[0] or "queue" in replies[0]
    assert fake_rasa.calls == []
    with db.session() as s:
        ticket = s.scalars(select(HandoffTicket)).one()
    assert (ticket.reason, ticket.status) == ("requested", "queued")
    assert replies[0].endswith("Reply CALL if you would like us to phone you back.")
    # while waiting, texts are for the advisor: the assistant stays out, but every text is
    # acknowledged, never met with silence
    assert text(twilio, "are you there?") == [
        "Thank you. A person will read this and reply here. "
        "Reply CALL if you would like us to phone you instead."]
    assert text(twilio, "PERSON") == [
        "You are already in the queue for a person. They will reply here."]
    assert text(twilio, "it's about my mum") == [], "acknowledged a moment ago"
    assert fake_rasa.calls == []
    with db.session() as s:
        kept = s.scalars(select(Message.text).where(Message.sender == "resident")).all()
        told = s.scalars(select(Message.text).where(Message.sender == "bot")).all()
    assert {"are you there?", "it's about my mum"} <= set(kept)  # for the advisor to read
    assert told.count(sms.WAITING_ACK_CALL) == 1  # the transcript shows what they were told


def _sent(text: str, minutes_ago: float, sender: str = "bot"):
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    at = (now - timedelta(minutes=minutes_ago)).replace(tzinfo=None).isoformat() + "Z"
    return MessageView(1, sender, text, [], at), now


def test_an_acknowledgement_is_not_repeated_within_ten_minutes():
    """An auto-reply answering our acknowledgement must not start an endless exchange."""
    ack, now = _sent(sms.WAITING_ACK_CALL, minutes_ago=3)
    assert sms.should_acknowledge([ack], now) is False
    ack, now = _sent(sms.WAITING_ACK, minutes_ago=11)
    assert sms.should_acknowledge([ack], now) is True
    notice, now = _sent("I have passed you to a person.", minutes_ago=1)
    assert sms.should_acknowledge([notice], now) is True
    advisor, now = _sent("Hello, this is Sam.", minutes_ago=1, sender="advisor")
    assert sms.should_acknowledge([ack, advisor], now) is True
    assert sms.should_acknowledge([], now) is True


def _callbacks(db):
    with db.session() as s:
        return [(c.phone, c.ticket_id, c.notes) for c in s.scalars(select(CallbackRequest))]


@pytest.mark.parametrize("word", ["CALL", "call me", "Call back", "please call me back",
                                  "can you ring me?"])
def test_call_while_waiting_asks_for_a_call_back_on_that_number_once(twilio, fake_rasa, db,
                                                                     word):
    text(twilio, "PERSON")
    replies = text(twilio, word)
    assert replies == ["Thank you. An advisor will call you back on the number ending 0123 "
                       "as soon as they can. If someone is in danger, call 999."]
    with db.session() as s:
        ticket_id = s.scalars(select(HandoffTicket.id)).one()
    assert _callbacks(db) == [(CALLER, ticket_id, sms.CALLBACK_NOTE)]
    # asking again never books a second call
    assert text(twilio, "CALL") == [
        "You have already asked us to call you back. An advisor will call you."]
    assert len(_callbacks(db)) == 1
    assert text(twilio, "thanks") == ["Thank you. A person will read this and reply here."]
    assert fake_rasa.calls == []


@CLOSED
def test_call_out_of_hours_says_when_the_call_will_come(twilio, fake_rasa, db):
    replies = text(twilio, "PERSON")
    assert "not working right now" in replies[0] and "call you back" in replies[0]
    assert replies[0].endswith("Reply CALL if you would like us to phone you back.")
    reply = text(twilio, "call me")[0]
    assert reply.startswith("Thank you. We are closed now. An advisor will call you back on "
                            "the number ending 0123 when we open: ")
    assert len(_callbacks(db)) == 1


@pytest.mark.parametrize(("body", "wanted"), [
    ("CALL", True), ("Call me.", True), ("ring me back please", True),
    ("could someone phone me", True), ("please don't call me, text only", False),
    ("no need to call me", False), ("I called the number on the letter and nobody answered "
                                    "so can you call me", False),  # long: for the advisor
    ("what time do you close", False),
])
def test_which_texts_ask_for_a_call_back(body, wanted):
    assert sms.wants_call_back(body) is wanted


def test_call_before_any_hand_over_is_an_ordinary_message(twilio, fake_rasa, db):
    fake_rasa.reply_to("call me", [{"text": "What would you like help with?"}], intent="greet")
    assert text(twilio, "call me")[0].startswith("What would you like help with?")
    assert fake_rasa.calls[0]["text"] == "call me"
    assert _callbacks(db) == []


@pytest.mark.parametrize("word", STOP_WORDS)
def test_stop_is_recorded_and_honoured(twilio, fake_rasa, db, word):
    assert text(twilio, word) == [], "Twilio confirms STOP itself; we send nothing"
    assert _events(db) == [("sms", "opt_out", "text", "sms")]
    assert text(twilio, "when is my bin day") == [], "no further texts"
    assert fake_rasa.calls == []
    with db.session() as s:
        notes = s.scalars(select(Message.text).where(Message.sender == "system")).all()
    assert notes == ["A text arrived from a number that opted out of texts. No reply was sent."]


def test_start_withdraws_the_opt_out(twilio, fake_rasa, db):
    text(twilio, "STOP")
    assert text(twilio, "START") == []
    assert _events(db) == [("sms", "opt_out", "text", "sms"), ("sms", "withdraw", "text", "sms")]
    fake_rasa.reply_to("hello", [{"text": "Hello."}])
    assert text(twilio, "hello")[0].startswith("Hello.")


def test_start_without_an_opt_out_records_nothing(twilio, db):
    assert text(twilio, "START") == []
    assert _events(db) == []


def test_stop_on_one_number_does_not_affect_another(twilio, fake_rasa):
    text(twilio, "STOP")
    assert text(twilio, "hello", number="+447700900999") != []


def test_a_phone_opt_out_is_honoured_by_sms(twilio, fake_rasa, db):
    call = Phone(twilio)
    call.dial()
    call.press("9")
    replies = text(twilio, "when is my bin day")
    assert "straight to a person" in replies[0]
    assert fake_rasa.calls == []
    with db.session() as s:
        reasons = [t.reason for t in s.scalars(select(HandoffTicket).order_by(HandoffTicket.id))]
    assert reasons == ["opt_out", "opt_out"]


def test_rasa_down_apologises_and_hands_over(twilio, fake_rasa, db):
    fake_rasa.fail = True
    replies = text(twilio, "when is my bin day")
    assert replies[0].startswith("Sorry, our automated assistant is not working right now.")
    with db.session() as s:
        assert s.scalars(select(HandoffTicket)).one().reason == "system_failure"


def test_empty_and_oversized_texts_get_a_clear_message(twilio, fake_rasa):
    assert text(twilio, "") == [
        "Sorry, we can only read text. Please send your question as a text message."]
    assert text(twilio, "x" * 1500) == [
        "Sorry, that message is too long. Please send up to 1,000 characters."]
    assert fake_rasa.calls == []


def test_a_sender_we_cannot_answer_gets_nothing(twilio, fake_rasa):
    assert text(twilio, "hello", number="COUNCIL") == []
    assert fake_rasa.calls == []


def test_an_unexpected_error_still_answers_valid_twiml(twilio, router, monkeypatch):
    def broken(*_a, **_k):
        raise RuntimeError("a bug")

    monkeypatch.setattr(router, "sms_thread", broken)
    assert text(twilio, "hello") == [
        "Sorry, something went wrong. Please try again later or call us on 01432 260000."]


def _tickets(db):
    with db.session() as s:
        return [(t.reason, t.priority) for t in s.scalars(select(HandoffTicket))]


def test_sms_typed_payload_is_plain_text_but_a_numbered_reply_is_a_button(twilio, fake_rasa, db):
    script_rasa(fake_rasa)

    def sms(body: str) -> None:
        text(twilio, body)

    sms("hello")
    sms("/safeguarding_concern")
    assert fake_rasa.calls[-1]["text"] == "safeguarding_concern" and _tickets(db) == []
    sms("hello")
    sms("2")  # "Reply 2 for Do not keep my data"
    assert fake_rasa.calls[-1]["text"] == OPT_OUT_PAYLOAD
    assert [(e[0], e[2]) for e in _events(db)] == [("data_use", "button")]


@pytest.mark.parametrize("word", ["STOP", "Stop.", "START"])
def test_a_stop_that_cannot_be_recorded_is_retried_not_lost(twilio, router, db, monkeypatch,
                                                            word):
    from sqlalchemy.exc import OperationalError

    def database_down(*_a, **_k):
        raise OperationalError("INSERT INTO optout_events", {}, Exception("database is locked"))

    if word == "START":
        text(twilio, "STOP")
    with monkeypatch.context() as m:
        m.setattr(router, "record_choice", database_down)
        response = twilio.post("/sms/incoming", {"From": CALLER, "Body": word,
                                                 "MessageSid": "SM" + "2" * 32})
        assert response.status_code == 503  # Twilio retries or uses the fallback URL
        assert "something went wrong" not in response.get_data(as_text=True)
    # Twilio's retry, once the database is back, records it.
    assert text(twilio, word) == []
    expected = [("sms", "opt_out", "text", "sms")]
    if word == "START":
        expected.append(("sms", "withdraw", "text", "sms"))
    assert _events(db) == expected


# --- the score after an advisor closes a text conversation (issue 13) ----------------------------


def _closed_by_advisor(
    twilio, db, number: str = CALLER, before_close: Callable[[str], object] | None = None,
) -> tuple[str, list[tuple[str, str]]]:
    """The resident texts PERSON, an advisor claims and closes it; returns the conversation
    and the texts the close sent. `before_close(conversation)` is what the advisor does first."""
    text(twilio, "PERSON", number)
    with db.session() as s:
        advisor_id = add_advisor_row(s)
        ticket = s.scalars(select(HandoffTicket)).one()  # the one PERSON opened
        ticket_id, conv = ticket.id, ticket.conversation_id
        assert s.get(Conversation, conv).address == number
    if before_close is not None:
        before_close(conv)
    sent: list[tuple[str, str]] = []
    ops.claim(db, ticket_id, advisor_id)
    ops.close(db, ticket_id, advisor_id, "resolved",
              send_sms=lambda to, body: sent.append((to, body)))
    return conv, sent


def _score(db, conv):
    with db.session() as s:
        c = s.get(Conversation, conv)
        return c.satisfaction, c.satisfaction_at is not None


SCORE_THANKS = "Thank you for your score. It helps us improve. Reply PERSON if you need more help."


@pytest.mark.parametrize(("reply", "score"), [("4", 4), ("5.", 5), ("five", 5), ("5 stars", 5),
                                              ("1 star", 1), ("3/5", 3), ("Two", 2)])
def test_a_score_texted_after_an_advisor_closes_is_recorded_and_thanked(
        twilio, fake_rasa, db, reply, score):
    conv, sent = _closed_by_advisor(twilio, db)
    assert sent == [(CALLER, "Thanks for contacting us. Reply with a score from 1 to 5 to tell "
                             "us how we did.")]
    assert text(twilio, reply) == [SCORE_THANKS]
    assert _score(db, conv) == (score, True)
    assert fake_rasa.calls == [], "a score is not a new question for the assistant"
    with db.session() as s:
        assert s.scalars(select(HandoffTicket)).one().conversation_id == conv


def test_only_one_score_then_texts_are_new_messages_again(twilio, fake_rasa, db):
    conv, _ = _closed_by_advisor(twilio, db)
    fake_rasa.reply_to("3", [{"text": "Sorry, I did not understand."}], intent="nlu_fallback")
    assert text(twilio, "4") == [SCORE_THANKS]
    replies = text(twilio, "3")
    assert replies and replies[0].startswith("Sorry, I did not understand.")
    assert _score(db, conv) == (4, True), "the first score stands"
    assert fake_rasa.calls[0]["text"] == "3"


def test_anything_else_after_the_close_is_a_new_conversation_as_before(twilio, fake_rasa, db):
    conv, _ = _closed_by_advisor(twilio, db)
    fake_rasa.reply_to("when is my bin day", [{"text": "Text me your postcode."}],
                       intent="bin_collection_day")
    assert text(twilio, "when is my bin day")[0].startswith("Text me your postcode.")
    assert fake_rasa.calls[0]["sender"] != conv
    assert _score(db, conv) == (None, False)
    # the question now belongs to an older conversation: a "5" is a new message, not a score
    text(twilio, "5")
    assert _score(db, conv) == (None, False)
    assert [c["text"] for c in fake_rasa.calls] == ["when is my bin day", "5"]


def test_a_score_more_than_a_day_later_is_a_new_message(twilio, fake_rasa, db):
    conv, _ = _closed_by_advisor(twilio, db)
    with db.session() as s:
        c = s.get(Conversation, conv)
        c.satisfaction_asked_at = utcnow() - timedelta(hours=25)
    text(twilio, "5")
    assert _score(db, conv) == (None, False)
    assert [c["text"] for c in fake_rasa.calls] == ["5"]


def test_without_an_advisor_close_a_number_is_just_a_message(twilio, fake_rasa, db):
    fake_rasa.reply_to("4", [{"text": "Sorry, I did not understand."}], intent="nlu_fallback")
    assert text(twilio, "4")[0].startswith("Sorry, I did not understand.")
    with db.session() as s:
        assert s.scalars(select(Message.text).where(Message.sender == "resident")).all() == ["4"]


def test_a_number_that_opted_out_of_texts_is_never_asked_and_never_scored(twilio, fake_rasa, db,
                                                                           router):
    # An advisor records the resident's "no more texts" (said on the phone, say) before closing.
    conv, sent = _closed_by_advisor(twilio, db, before_close=lambda conv: router.record_choice(
        conv, "sms", "opt_out", method="advisor"))
    assert sent == [], "no score question to a number that opted out of texts"
    assert text(twilio, "5") == []
    assert _score(db, conv) == (None, False)
