"""Unit level: every way the assistant can fail becomes an honest system_failure handoff."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handoff.rasa_client import AssistantTurn
from handoff.router import TEXT_FAILURE
from storage.models import HandoffTicket, Message


@pytest.mark.parametrize("messages", [
    [],                                   # the action server is down: Rasa says nothing
    [{"text": "   "}],                    # only whitespace
    [{"image": "https://example.com/x.png"}],  # nothing we can show
])
def test_an_assistant_that_says_nothing_hands_over(router, fake_rasa, db, messages):
    fake_rasa.handler = lambda *a: AssistantTurn(messages=messages, intent="greet", confidence=0.9)
    conv = router.start("web", session_key="k")
    result = router.handle(conv, "hello")
    assert result.state == "waiting" and result.assistant_failed
    assert result.replies[0].text == TEXT_FAILURE
    with db.session() as s:
        ticket = s.scalars(select(HandoffTicket)).one()
        assert (ticket.reason, ticket.status) == ("system_failure", "queued")
        said = list(s.scalars(select(Message.sender).where(Message.conversation_id == conv)
                              .order_by(Message.id)))
    assert said[0] == "resident" and "system" in said


def test_rasa_down_hands_over(router, fake_rasa):
    fake_rasa.fail = True
    conv = router.start("phone", call_sid="CA1")
    result = router.handle(conv, "hello")
    assert result.state == "waiting" and result.assistant_failed
    assert result.handoff_reason == "system_failure"


def test_a_signal_without_text_is_not_a_failure(router, fake_rasa):
    fake_rasa.reply_to("stop", [{"custom": {"opt_out": {"scope": "sms"}}}])
    conv = router.start("sms", address="+447700900123")
    result = router.handle(conv, "stop")
    assert not result.assistant_failed and result.state == "bot"
