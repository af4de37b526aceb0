"""Turn-taking policy, shared by every channel: two failed turns in a row -> a person."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handoff import turns
from handoff.turns import TurnOutcome
from storage.models import HandoffTicket


def test_an_understood_turn_starts_the_count_again():
    assert turns.decide(1, TurnOutcome.UNDERSTOOD) == turns.TurnDecision(0, False)


@pytest.mark.parametrize("outcome", [TurnOutcome.NOT_HEARD, TurnOutcome.TOO_LONG,
                                     TurnOutcome.NOT_UNDERSTOOD])
def test_the_second_failed_turn_in_a_row_offers_a_person(outcome):
    first = turns.decide(0, outcome)
    assert first == turns.TurnDecision(1, False)
    assert turns.decide(first.failed_turns, outcome) == turns.TurnDecision(0, True)


def test_the_fallback_intent_is_a_failed_turn():
    assert turns.outcome_of("nlu_fallback") == TurnOutcome.NOT_UNDERSTOOD
    assert turns.outcome_of("bin_day") == TurnOutcome.UNDERSTOOD
    assert turns.outcome_of(None) == TurnOutcome.UNDERSTOOD


@pytest.mark.parametrize("channel", ["web", "sms", "phone"])
def test_every_channel_gets_a_person_after_two_turns_not_understood(router, fake_rasa, db,
                                                                   channel):
    fake_rasa.reply_to("blah", [{"text": "Sorry, I did not understand that."}],
                       intent="nlu_fallback", confidence=0.2)
    conv = router.start(channel, address="+447700900123" if channel != "web" else None,
                        session_key="k" if channel == "web" else None)
    first = router.handle(conv, "blah")
    assert first.state == "bot" and first.handover is None
    second = router.handle(conv, "blah")
    assert second.state == "waiting" and second.handoff_reason == "not_understood"
    assert [r.text for r in second.replies][:2] == [
        "Sorry, I did not understand that.",
        "Sorry, I am not understanding you. I am passing you to a person.",
    ]
    with db.session() as s:
        ticket = s.scalars(select(HandoffTicket)).one()
    assert ticket.summary["note"] == turns.HANDOFF_NOTE


def test_a_missed_turn_counts_with_a_not_understood_one(router, fake_rasa):
    fake_rasa.reply_to("blah", [{"text": "Sorry?"}], intent="nlu_fallback")
    conv = router.start("phone", address="+447700900123", call_sid="CA1")
    assert router.missed_turn(conv, TurnOutcome.NOT_HEARD).handover is None
    assert router.handle(conv, "blah").handoff_reason == "not_understood"
