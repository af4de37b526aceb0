"""The conversation router: where each resident message goes and what signals do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from handoff.router import InvalidMessage
from storage.models import Advisor, HandoffTicket, Message, OptOutEvent, utcnow


def _advisor_online(db) -> None:
    with db.session() as s:
        s.add(
            Advisor(
                name="Sam",
                email="sam@example.gov.uk",
                password_hash="x",
                role="advisor",
                last_seen_at=utcnow(),
            )
        )


def test_message_goes_to_rasa_and_both_sides_are_stored(router, fake_rasa, db):
    fake_rasa.reply_to(
        "hello", [{"text": "Hello. I am the council's automated assistant."}], intent="greet"
    )
    conv = router.start("web", session_key="browser-1")
    result = router.handle(conv, "hello")
    assert result.state == "bot"
    assert [r.text for r in result.replies] == ["Hello. I am the council's automated assistant."]
    assert fake_rasa.calls[0]["channel"] == "web" and fake_rasa.calls[0]["sender"] == conv
    with db.session() as s:
        rows = s.execute(
            select(Message.sender, Message.text, Message.intent)
            .where(Message.conversation_id == conv)
            .order_by(Message.id)
        ).all()
    assert rows == [
        ("resident", "hello", "greet"),
        ("bot", "Hello. I am the council's automated assistant.", None),
    ]


@pytest.mark.parametrize(
    "text,error", [("   ", "Enter a message"), ("x" * 1001, "1,000 characters or fewer")]
)
def test_bad_input_is_refused_with_a_clear_error(router, text, error):
    conv = router.start("web", session_key="k")
    with pytest.raises(InvalidMessage, match=error):
        router.handle(conv, text)


def test_handoff_signal_opens_a_ticket_with_summary_and_honest_wait(router, fake_rasa, db):
    _advisor_online(db)
    fake_rasa.reply_to(
        "i need help with my housing",
        [
            {"text": "I am sorry to hear that. I will get a person to help you."},
            {
                "custom": {
                    "handoff": {"reason": "housing", "priority": 2, "summary": {"topic": "housing"}}
                }
            },
        ],
        intent="housing_help",
        slots={"postcode": "HR1 2AB"},
    )
    conv = router.start("web", session_key="k")
    result = router.handle(conv, "i need help with my housing")
    assert result.state == "waiting"
    assert result.queue.position == 1 and result.queue.expected_wait_minutes == 6
    assert "number 1 in the queue" in result.replies[-1].text
    with db.session() as s:
        ticket = s.scalars(select(HandoffTicket)).one()
    assert (ticket.reason, ticket.priority, ticket.status) == ("housing", 2, "queued")
    assert ticket.summary["said"] == ["i need help with my housing"]
    assert ticket.summary["slots"] == {"postcode": "HR1 2AB"}
    assert ticket.summary["intents"] == ["housing_help"]


def test_while_waiting_messages_go_to_people_not_rasa(router, fake_rasa):
    conv = router.start("web", session_key="k")
    router.request_handoff(conv)
    result = router.handle(conv, "are you still there")
    assert result.state == "waiting" and result.replies == []
    assert fake_rasa.calls == []


def test_nobody_available_offers_a_callback(router):
    conv = router.start("web", session_key="k")
    result = router.request_handoff(conv)
    assert result.queue.advisors_available == 0 and result.queue.offer_callback
    assert "call you back" in result.replies[-1].text


def test_rasa_down_hands_over_as_system_failure(router, fake_rasa, db):
    fake_rasa.fail = True
    conv = router.start("phone", address="07700 900123", call_sid="CA1")
    result = router.handle(conv, "when is my bin day")
    assert result.assistant_failed and result.state == "waiting"
    assert result.handoff_reason == "system_failure"
    assert "not working right now" in result.replies[0].text


def test_opt_out_signal_is_recorded_and_honoured_on_next_contact(router, fake_rasa, db):
    fake_rasa.reply_to(
        "i dont want a robot",
        [
            {"text": "That is fine. I will pass you to a person now, and next time too."},
            {
                "custom": {
                    "opt_out": {"scope": "automated_assistant", "utterance": "i dont want a robot"}
                }
            },
            {"custom": {"handoff": {"reason": "opt_out"}}},
        ],
        intent="opt_out_automation",
    )
    first = router.start("phone", address="07700 900123", call_sid="CA1")
    router.handle(first, "i dont want a robot", method="speech")
    with db.session() as s:
        event = s.scalars(select(OptOutEvent)).one()
    assert (event.scope, event.action, event.channel, event.method) == (
        "automated_assistant",
        "opt_out",
        "phone",
        "speech",
    )
    assert "07700" not in event.subject and len(event.subject) == 64

    # Next contact, by SMS from the same number written differently: straight to people.
    calls_before = len(fake_rasa.calls)
    second = router.sms_thread("+447700900123")
    result = router.handle(second, "hi there")
    assert len(fake_rasa.calls) == calls_before
    assert result.state == "waiting" and result.handoff_reason == "opt_out"


def test_pii_is_redacted_before_rasa_and_storage(router, fake_rasa, db):
    conv = router.start("web", session_key="k")
    router.handle(conv, "call me on 07700 900123 or mail jo@example.com")
    sent = fake_rasa.calls[0]["text"]
    assert "07700" not in sent and "jo@example.com" not in sent
    with db.session() as s:
        stored = s.scalars(select(Message.text).where(Message.sender == "resident")).one()
    assert stored == "call me on [redacted: phone] or mail [redacted: email]"


def test_queue_position_counts_more_urgent_and_older_tickets(router, db):
    a = router.start("web", session_key="a")
    b = router.start("web", session_key="b")
    router.request_handoff(a)
    with db.session() as s:
        s.get(HandoffTicket, 1).queued_at = utcnow() - timedelta(minutes=5)
    result = router.request_handoff(b, reason="safeguarding")
    assert result.queue.position == 1  # safeguarding jumps the queue
