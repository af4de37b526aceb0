"""The router's part in catalogue answers: an unanswered question is logged redacted, a hand-over
is filed under the service's team, and "text me the link" texts the caller."""

from __future__ import annotations

from sqlalchemy import select

from handoff.rasa_client import AssistantTurn
from handoff.signals import parse_bot_messages
from storage.models import HandoffTicket, Message, UnansweredQuestion

UNKNOWN = [{"text": "Sorry, I don't know the answer to that, and I don't want to guess."},
           {"custom": {"unanswered": {"team": "waste", "candidates": ["bulky-waste"]}}}]


def test_an_unanswered_question_is_logged_with_personal_details_removed(router, fake_rasa, db):
    text = "can you collect a piano from 12 High Street, call me on 07700 900123"
    fake_rasa.handler = lambda channel, sender, said, metadata: AssistantTurn(
        messages=UNKNOWN, intent="ask_service", confidence=0.9)
    conv = router.start("web", session_key="browser-1")
    result = router.handle(conv, text)
    assert [r.text for r in result.replies] == [
        "Sorry, I don't know the answer to that, and I don't want to guess."]
    with db.session() as s:
        row = s.scalar(select(UnansweredQuestion))
        assert "07700 900123" not in row.text
        assert (row.channel, row.likely_team, row.candidates) == ("web", "waste", ["bulky-waste"])


def test_no_question_is_kept_for_a_resident_who_opted_out_of_data_use(router, fake_rasa, db):
    conv = router.start("web", session_key="browser-2")
    router.record_choice(conv, "data_use", "opt_out", "button")
    fake_rasa.reply_to("what about pianos", UNKNOWN, intent="ask_service")
    router.handle(conv, "what about pianos")
    with db.session() as s:
        assert s.scalar(select(UnansweredQuestion)) is None


def test_a_handoff_after_a_catalogue_answer_goes_to_that_team(router, fake_rasa, db):
    fake_rasa.reply_to("person please", [
        {"text": "OK. I'm passing you to a person now."},
        {"custom": {"handoff": {"reason": "requested", "priority": 3,
                                "summary": {"topic": "general enquiry", "team": "licensing"}}}},
    ], intent="request_human")
    conv = router.start("web", session_key="browser-3")
    result = router.handle(conv, "person please")
    with db.session() as s:
        ticket = s.get(HandoffTicket, result.ticket_id)
        assert ticket.team == "licensing"


def _link_turn():
    return [{"text": "OK. I'm sending you a text with the link now."},
            {"custom": {"send_link": {
                "service_id": "bulky-waste", "title": "Bulky waste collection",
                "url": "https://www.herefordshire.gov.uk/rubbish-recycling/bulky-waste-collection",
            }}}]


def test_text_me_the_link_texts_the_caller(app, router, fake_rasa, fake_twilio, db):
    fake_rasa.reply_to("text me", _link_turn(), intent="request_link")
    conv = router.start("phone", address="+447700900123", call_sid="CA" + "1" * 32)
    with app.app_context():
        result = router.handle(conv, "text me")
    assert [r.text for r in result.replies] == ["OK. I'm sending you a text with the link now."]
    [sent] = [r.args for r in fake_twilio.requests if r.kind == "messages.create"]
    assert sent["to"] == "+447700900123"
    assert sent["body"] == ("Herefordshire Council: Bulky waste collection. "
                            "https://www.herefordshire.gov.uk/rubbish-recycling/bulky-waste-collection")
    with db.session() as s:
        notes = s.scalars(select(Message.text).where(Message.sender == "system")).all()
    assert "Texted the link for Bulky waste collection to the caller." in notes


def test_a_caller_who_opted_out_of_texts_is_told_and_not_texted(app, router, fake_rasa,
                                                                fake_twilio):
    fake_rasa.reply_to("text me", _link_turn(), intent="request_link")
    conv = router.start("phone", address="+447700900124", call_sid="CA" + "2" * 32)
    router.record_choice(conv, "sms", "opt_out", "speech")
    with app.app_context():
        result = router.handle(conv, "text me")
    assert result.replies[-1].text == (
        "You told us you do not want texts from us, so I have not sent one.")
    assert not [r for r in fake_twilio.requests if r.kind == "messages.create"]


def test_when_the_text_fails_the_caller_is_told(app, router, fake_rasa, fake_twilio):
    fake_twilio.fail = True
    fake_rasa.reply_to("text me", _link_turn(), intent="request_link")
    conv = router.start("phone", address="+447700900125", call_sid="CA" + "3" * 32)
    with app.app_context():
        result = router.handle(conv, "text me")
    assert result.replies[-1].text == (
        "Sorry, I could not send the text just now. You can find it on our website.")


def test_malformed_catalogue_signals_are_ignored():
    parsed = parse_bot_messages([
        {"custom": {"send_link": {"service_id": "x", "title": "X", "url": "javascript:alert(1)"}}},
        {"custom": {"unanswered": {"team": 5, "candidates": "nope"}}},
    ])
    assert parsed.send_link is None
    assert parsed.unanswered.team is None and parsed.unanswered.candidates == []
