"""Honest outcomes against hand-computed answers (tests/reports/outcome_fixture.py)."""

from __future__ import annotations

import pytest

from reports import kpis
from reports.kpis import ALL, Rate
from reports.outcomes import outcome_query
from storage.models import STATES, Conversation, Message
from tests.reports.outcome_fixture import EXPECTED, NOW, WINDOW, seed

WEB, PHONE, SMS = ("channel", "web"), ("channel", "phone"), ("channel", "sms")
W10, W11, W12 = ("week", "2026-W10"), ("week", "2026-W11"), ("week", "2026-W12")


@pytest.fixture
def seeded_outcomes(db):
    seed(db)
    return db


@pytest.fixture
def report(seeded_outcomes):
    with seeded_outcomes.session() as s:
        return kpis.compute(s, now=NOW, abandon_after=WINDOW)


def test_each_conversation_gets_the_hand_worked_outcome(seeded_outcomes):
    with seeded_outcomes.session() as s:
        rows = s.execute(outcome_query(NOW - WINDOW)).all()
    assert {row.id: row.outcome for row in rows} == EXPECTED


def test_the_same_conversation_later_is_judged_once_the_window_has_passed(seeded_outcomes):
    with seeded_outcomes.session() as s:
        rows = {r.id: r.outcome for r in s.execute(outcome_query(NOW))}
    # r10 left "Where is the pothole?" unanswered; r11 left the queue without a number.
    assert rows["r10"] == "abandoned" and rows["r11"] == "abandoned"


def test_outcome_rates_out_of_judged_conversations(report):
    o = report.outcomes
    assert o["resolved"][ALL] == Rate(3, 15)
    assert o["came_back"][ALL] == Rate(2, 15)  # r3, and r18 by its verified number
    assert o["handed_over"][ALL] == Rate(3, 15)
    assert o["abandoned"][ALL] == Rate(6, 15)
    assert o["abandoned_in_queue"][ALL] == Rate(2, 15)
    assert o["unresolved"][ALL] == Rate(1, 15)
    assert o["resolved"][WEB] == Rate(2, 8)
    assert o["came_back"][WEB] == Rate(1, 8)
    assert o["abandoned"][PHONE] == Rate(3, 4)
    assert o["handed_over"][PHONE] == Rate(1, 4)
    assert o["resolved"][SMS] == Rate(1, 3)
    assert o["came_back"][SMS] == Rate(1, 3)
    assert o["abandoned"][SMS] == Rate(1, 3)
    assert o["abandoned"][W10] == Rate(2, 7)  # r5, r6 (r1-r6 and r18 are in week 10)
    assert o["resolved"][W11] == Rate(1, 8)  # r16 (r7-r9, r13-r17; r12 not started)
    assert report.not_judged["in_progress"][ALL] == 2
    assert report.not_judged["not_started"][WEB] == 1
    assert report.not_judged["in_progress"][W12] == 2


def test_repeat_contact_by_pseudonymous_subject(report):
    # r3: C came back by phone; r18: O's web chat verified F's number, and F phoned a day
    # later (r7); r1 -> r16 is exactly 7 days.
    assert report.repeat[ALL] == Rate(2, 15)
    assert report.repeat[SMS] == Rate(1, 3)
    assert report.repeat[WEB] == Rate(1, 8)


def test_answer_helpful(report):
    assert report.helpful[ALL] == Rate(1, 2)
    assert report.helpful[WEB] == Rate(1, 2)
    assert report.helpful[PHONE] == Rate(0, 0)


def test_advisor_measures(report):
    a = report.advisor[ALL]
    assert a.time_to_answer.seconds == (120.0, 300.0)
    assert (a.time_to_answer.median, a.time_to_answer.p90) == (120.0, 300.0)
    assert (a.handle_time.median, a.handle_time.p90) == (480.0, 900.0)
    assert a.callbacks_on_time == Rate(1, 2)  # r4's was done in 4h45; r15's is overdue
    assert a.per_advisor_hour == Rate(2, 2)  # 2 tickets; 10:00 on 6 Mar and 14:00 on 13 Mar
    assert report.advisor[PHONE].time_to_answer.seconds == (120.0,)
    assert report.advisor[W11].per_advisor_hour == Rate(1, 1)


def test_callbacks_not_yet_due_are_left_out(seeded_outcomes):
    with seeded_outcomes.session() as s:
        early = kpis.compute(s, now=NOW.replace(day=12, hour=20), abandon_after=WINDOW)
    assert early.advisor[ALL].callbacks_on_time == Rate(1, 1)  # r15's asked 11 hours ago


def test_percentile_is_nearest_rank():
    assert kpis.percentile([], 0.9) is None
    assert kpis.percentile([5.0], 0.9) == 5.0
    assert kpis.percentile([float(n) for n in range(1, 11)], 0.9) == 9.0
    assert kpis.percentile([float(n) for n in range(1, 11)], 0.5) == 5.0


def test_the_routers_abandoned_state_counts(db):
    """The router's `abandoned` state is judged abandoned even inside the window (a page that
    stopped polling is marked within seconds, long before the 30 minutes are up)."""
    assert "abandoned" in STATES
    with db.session() as s:
        s.add(Conversation(id="x1", channel="web", subject="X", state="abandoned",
                           created_at=NOW - WINDOW * 3, updated_at=NOW - WINDOW * 3))
        s.flush()
        s.add(Message(conversation_id="x1", sender="resident", text="council tax",
                      intent="council_tax_pay", sent_at=NOW - WINDOW * 3))
        s.add(Message(conversation_id="x1", sender="bot", text="Which do you need?",
                      sent_at=NOW - WINDOW * 3))
    with db.session() as s:
        assert s.execute(outcome_query(NOW - WINDOW * 4)).one().outcome == "abandoned"


def test_digital_inclusion_is_counted_anonymously(report):
    i = report.inclusion
    assert i["all"][ALL] == 3
    assert i["need:no_internet"][SMS] == 1 and i["need:no_device"][PHONE] == 1
    assert i["offer:tea_and_tech"][ALL] == 2 and i["offer:device_lending"][ALL] == 1
    assert i["offer:callback"][ALL] == 0
    assert i["all"][W10] == 1 and i["all"][W11] == 2
    rows = report.rows("inclusion")
    assert {"dimension": "all", "group": "all", "measure": "need:no_skills", "numerator": 1,
            "denominator": "", "value": 1} in rows
