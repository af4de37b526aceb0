"""Residents who left (page closed, hung up, never replied) are marked abandoned and leave the
advisors' queue; any callback they asked for is kept (issue 16, "Abandoned")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from handoff import abandonment
from handoff import queue as ops
from storage.models import CallbackRequest, Conversation, HandoffTicket, Message, utcnow
from tests.web.conftest import post_form


def _state(db, conv: str) -> str:
    with db.session() as s:
        return s.get(Conversation, conv).state


def _queued(db) -> list[str]:
    with db.session() as s:
        return [t.conversation_id for t in ops.queued(s)]


def _later(**delta) -> object:
    return utcnow() + timedelta(**delta)


def _web_waiting(client) -> str:
    client.post("/api/chat", json={"text": "hello"})
    return client.post("/api/chat", json={"text": "/request_human"}).get_json()["conversation_id"]


def test_a_web_page_that_stops_polling_while_waiting_is_abandoned(client, router, db):
    conv = _web_waiting(client)
    client.get("/api/chat")  # the page polls (JavaScript)
    assert _queued(db) == [conv]
    assert router.sweep_abandoned(now=_later(seconds=30)) == 0  # still polling recently
    assert router.sweep_abandoned(now=_later(minutes=3)) == 1
    assert _state(db, conv) == "abandoned" and _queued(db) == []
    with db.session() as s:
        ticket = s.scalars(select(HandoffTicket)).one()
        notes = s.scalars(select(Message.text).where(Message.sender == "system")).all()
    assert (ticket.status, ticket.outcome) == ("closed", "abandoned")
    assert notes[-1] == abandonment.STOPPED_POLLING


def test_without_javascript_the_chat_is_abandoned_only_when_the_session_would_time_out(
        client, router, db):
    post_form(client, "/", {"message": "hello"})
    post_form(client, "/talk-to-a-person", {})
    with db.session() as s:
        conv = s.scalars(select(Conversation.id)).one()
        assert s.get(Conversation, conv).polls is False  # the page never polled: no JavaScript
    assert router.sweep_abandoned(now=_later(minutes=10)) == 0
    assert router.sweep_abandoned(now=_later(minutes=31)) == 1
    with db.session() as s:
        notes = s.scalars(select(Message.text).where(Message.sender == "system")).all()
    assert notes[-1] == abandonment.TIMED_OUT


def test_a_callback_they_asked_for_is_kept(client, router, db):
    conv = _web_waiting(client)
    post_form(client, "/callback", {"phone": "07700 900982", "preferred_time": "asap"})
    client.get("/api/chat")
    router.sweep_abandoned(now=_later(minutes=5))
    assert _state(db, conv) == "abandoned"
    with db.session() as s:
        assert [c.status for c in s.scalars(select(CallbackRequest))] == ["open"]
        assert len(ops.callbacks(s)) == 1  # still on the advisors' callback list


def test_a_resident_who_comes_back_carries_on(client, router, db, fake_rasa):
    conv = _web_waiting(client)
    client.get("/api/chat")
    router.sweep_abandoned(now=_later(minutes=5))
    body = client.get("/api/chat").get_json()
    assert body["state"] == "bot"  # what the resident's page shows
    fake_rasa.reply_to("are you there", [{"text": "Yes. How can I help?"}])
    assert client.post("/api/chat", json={"text": "are you there"}).get_json()["state"] == "bot"
    assert _state(db, conv) == "bot"
    assert client.post("/api/chat", json={"text": "/request_human"}).get_json()["state"] == \
        "waiting"
    assert _queued(db) == [conv]


def test_end_chat_while_waiting_leaves_the_queue_but_not_an_advisors_conversation(
        client, router, db, advisor_online):
    conv = _web_waiting(client)
    post_form(client, "/end-chat", {})
    assert _state(db, conv) == "abandoned" and _queued(db) == []

    other = router.start("web", session_key="k2")
    ticket = router.request_handoff(other).ticket_id
    ops.claim(db, ticket, advisor_online)
    router.end_chat(other)
    assert _state(db, other) == "advisor"  # the advisor closes it


def test_a_phone_call_that_ends_in_the_queue_is_abandoned(router, db):
    conv = router.start("phone", address="+447700900123", call_sid="CA1")
    router.request_handoff(conv)
    router.call_ended(conv)
    assert _state(db, conv) == "abandoned" and _queued(db) == []


@pytest.mark.parametrize("assistant_said,abandoned", [
    ("What is your postcode?", True),                      # asked, never answered: mid-flow
    ("Your bins are collected on Tuesdays.", False),       # answered: the call just ended
    ("You're welcome. Is there anything else I can help with?", False),
])
def test_a_phone_call_that_ends_mid_flow_is_abandoned(router, db, fake_rasa, assistant_said,
                                                      abandoned):
    fake_rasa.reply_to("when is my bin day", [{"text": assistant_said}])
    conv = router.start("phone", address="+447700900123", call_sid="CA1")
    router.handle(conv, "when is my bin day", method="speech")
    router.call_ended(conv)
    assert _state(db, conv) == ("abandoned" if abandoned else "bot")


def test_a_call_ended_after_a_failed_turn_is_abandoned(router, db):
    from handoff.turns import TurnOutcome

    conv = router.start("phone", address="+447700900123", call_sid="CA1")
    router.note_bot_text(conv, "Hello. How can I help with your council services today.")
    router.missed_turn(conv, TurnOutcome.NOT_HEARD)
    router.call_ended(conv)
    assert _state(db, conv) == "abandoned"


def test_an_sms_the_resident_never_answered_is_abandoned(router, db, fake_rasa):
    fake_rasa.reply_to("bin day", [{"text": "What is your postcode?"}])
    asked = router.sms_thread("+447700900123")
    router.handle(asked, "bin day")
    answered = router.sms_thread("+447700900456")
    router.handle(answered, "bin day")
    with db.session() as s:
        s.add(Message(conversation_id=answered, sender="resident", text="HR1 2AB"))
    assert router.sweep_abandoned(now=_later(hours=1)) == 0
    assert router.sweep_abandoned(now=_later(hours=25)) == 1
    assert _state(db, asked) == "abandoned" and _state(db, answered) == "bot"


def test_a_web_chat_in_progress_is_left_alone(client, router, db, fake_rasa):
    client.post("/api/chat", json={"text": "hello"})
    assert router.sweep_abandoned(now=_later(minutes=5)) == 0


def test_the_sweep_runs_from_the_command_line(app, client, router, db, monkeypatch):
    from click.testing import CliRunner

    from contact_assistant import cli as root

    monkeypatch.setattr(root, "get_app", lambda: app)
    conv = _web_waiting(client)
    with db.session() as s:  # the page last polled ten minutes ago
        row = s.get(Conversation, conv)
        row.polls, row.last_seen_at = True, utcnow() - timedelta(minutes=10)
    result = CliRunner().invoke(root.main, ["queue", "sweep-abandoned"], catch_exceptions=False)
    assert result.output.strip() == "1 conversation marked abandoned"
    assert _state(db, conv) == "abandoned"


def test_a_web_chat_that_had_its_answer_is_not_abandoned_when_it_times_out(client, router, db,
                                                                           fake_rasa):
    fake_rasa.reply_to("bin day", [{"text": "Your bins are collected on Tuesdays."}])
    fake_rasa.reply_to("pothole", [{"text": "Where is the pothole?"}])
    client.post("/api/chat", json={"text": "bin day"})
    answered = client.get("/api/chat").get_json()["conversation_id"]
    other = client.application.test_client()
    other.post("/api/chat", json={"text": "pothole"})
    asked = other.get("/api/chat").get_json()["conversation_id"]
    assert router.sweep_abandoned(now=_later(minutes=31)) == 1
    assert _state(db, answered) == "bot" and _state(db, asked) == "abandoned"


@pytest.mark.parametrize("sender,text,failed,expected", [
    ("bot", "What is your postcode?", 0, True),
    ("bot", "Is there anything else I can help with?", 0, False),
    ("bot", "Your bins are collected on Tuesdays.", 0, False),
    ("resident", "HR1 2AB?", 0, False),
    ("bot", "Sorry, I did not hear anything.", 1, True),
])
def test_mid_task_is_an_unanswered_question_or_a_failed_turn(sender, text, failed, expected):
    assert abandonment.mid_task(sender, text, failed) is expected
