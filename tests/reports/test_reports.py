"""KPI figures against a seeded set with hand-computed answers (see conftest.CONVERSATIONS)."""

from __future__ import annotations

from datetime import datetime

import pytest

from reports import kpis as reports
from reports.kpis import ALL, Average, Rate
from tests.reports.conftest import WEEK_A, WEEK_B, WEEK_EARLY

WEB, PHONE, SMS = ("channel", "web"), ("channel", "phone"), ("channel", "sms")
A, B, EARLY, GAP = ("week", WEEK_A), ("week", WEEK_B), ("week", WEEK_EARLY), ("week", "2026-W09")
SINCE = datetime(2026, 3, 2)


@pytest.fixture
def everything(seeded):
    with seeded.session() as s:
        return reports.compute(s)


@pytest.fixture
def from_march(seeded):
    with seeded.session() as s:
        return reports.compute(s, since=SINCE)


def test_groups_are_channels_and_every_iso_week(everything, from_march):
    assert everything.channels == ["web", "phone", "sms"]
    assert everything.weeks == [WEEK_EARLY, "2026-W09", WEEK_A, WEEK_B]  # the gap week shows
    assert from_march.weeks == [WEEK_A, WEEK_B]


def test_conversations(everything, from_march):
    assert everything.conversations[ALL] == 8
    assert [everything.conversations[k] for k in (WEB, PHONE, SMS)] == [4, 2, 2]
    assert [everything.conversations[k] for k in (EARLY, GAP, A, B)] == [1, 0, 3, 4]
    assert from_march.conversations[ALL] == 7
    assert from_march.conversations[WEB] == 3


def test_outcomes_replace_containment(everything, from_march):
    """The old "containment" counted c2, c3 and c7 (left the queue) or c1 (no ticket) alike;
    outcomes tell a resident who gave up in the queue from one who was answered."""
    o = everything.outcomes
    assert o["handed_over"][ALL] == Rate(1, 8)  # c5: the claimed safeguarding ticket
    assert o["abandoned"][ALL] == Rate(3, 8)  # c2 closed unclaimed, c3 and c7 still queued
    assert o["abandoned_in_queue"][ALL] == Rate(3, 8)
    assert o["unresolved"][ALL] == Rate(4, 8)  # no "yes", no task done, nothing left asked
    assert o["resolved"][ALL] == Rate(0, 8)
    assert o["abandoned"][WEB] == Rate(2, 4)
    assert o["abandoned"][GAP].value is None
    assert from_march.outcomes["abandoned"][ALL] == Rate(3, 7)
    assert from_march.outcomes["abandoned"][WEB] == Rate(2, 3)


def test_handoff_rate_by_reason(everything, from_march):
    h = from_march.handoff
    assert h["any"][ALL] == Rate(4, 7)
    assert h["requested"][ALL] == Rate(2, 7)  # c2 and c5 (c5 was also safeguarding)
    assert h["opt_out"][ALL] == Rate(1, 7)
    assert h["safeguarding"][ALL] == Rate(1, 7)
    assert h["system_failure"][ALL] == Rate(1, 7)
    assert h["housing"][ALL] == Rate(0, 7)
    assert h["any"][WEB] == Rate(2, 3)
    assert h["requested"][WEB] == Rate(1, 3)
    assert h["opt_out"][PHONE] == Rate(1, 2)
    assert h["safeguarding"][SMS] == Rate(1, 2)
    assert h["any"][A] == Rate(2, 3)
    assert h["any"][B] == Rate(2, 4)  # c7 started late on Sunday 15 March: still week 11
    assert everything.handoff["any"][ALL] == Rate(4, 8)


def test_opt_out_rate_by_scope(everything, from_march):
    o = from_march.optout
    assert o["automated_assistant"][ALL] == Rate(1, 7)
    assert o["data_use"][ALL] == Rate(1, 7)
    assert o["sms"][ALL] == Rate(1, 7)
    assert o["call_recording"][ALL] == Rate(0, 7)
    assert o["automated_assistant"][PHONE] == Rate(1, 2)
    assert o["automated_assistant"][SMS] == Rate(0, 2)  # the SMS event was a withdrawal
    assert o["data_use"][SMS] == Rate(1, 2)
    assert o["automated_assistant"][A] == Rate(1, 3)
    assert o["sms"][B] == Rate(1, 4)
    assert from_march.withdrawals["automated_assistant"][ALL] == 1
    assert from_march.withdrawals["automated_assistant"][B] == 1
    assert everything.optout["data_use"][ALL] == Rate(1, 8)


def test_satisfaction(everything, from_march):
    assert from_march.satisfaction[ALL] == Average(14, 4)
    assert from_march.satisfaction[ALL].value == 3.5
    assert from_march.satisfaction[WEB].value == pytest.approx(10 / 3)
    assert from_march.satisfaction[PHONE] == Average(4, 1)
    assert from_march.satisfaction[SMS].value is None
    assert from_march.satisfaction[A].value == 4.0
    assert from_march.satisfaction[B].value == 3.0
    assert everything.satisfaction[ALL] == Average(15, 5)
    assert everything.satisfaction[WEB].value == 2.75


def test_fallback_rate(everything, from_march):
    assert from_march.fallback[ALL] == Rate(2, 10)  # the message with no intent is left out
    assert from_march.fallback[WEB] == Rate(1, 4)
    assert from_march.fallback[PHONE] == Rate(1, 4)
    assert from_march.fallback[SMS] == Rate(0, 2)
    assert from_march.fallback[A] == Rate(1, 5)
    assert from_march.fallback[B] == Rate(1, 5)
    assert everything.fallback[ALL] == Rate(2, 11)
    assert everything.fallback[EARLY] == Rate(0, 1)


def test_top_intents(everything, from_march):
    assert from_march.intents[ALL] == [("bin_day", 3), ("council_tax", 1), ("greet", 1),
                                       ("opt_out_automation", 1), ("request_human", 1),
                                       ("safeguarding_concern", 1)]
    assert everything.intents[ALL][:2] == [("bin_day", 3), ("greet", 2)]
    assert from_march.intents[PHONE] == [("bin_day", 2), ("opt_out_automation", 1)]
    assert from_march.intents[SMS] == [("council_tax", 1), ("safeguarding_concern", 1)]


def test_top_n(seeded):
    with seeded.session() as s:
        report = reports.compute(s, since=SINCE, top_n=3)
    assert report.intents[ALL] == [("bin_day", 3), ("council_tax", 1), ("greet", 1)]


def test_until_bounds_the_period(seeded):
    with seeded.session() as s:
        week_a = reports.compute(s, since=SINCE, until=datetime(2026, 3, 9))
    assert week_a.weeks == [WEEK_A]
    assert week_a.conversations[ALL] == 3
    assert week_a.optout["automated_assistant"][ALL] == Rate(1, 3)
    assert week_a.optout["data_use"][ALL] == Rate(0, 3)
    assert week_a.withdrawals["automated_assistant"][ALL] == 0


def test_an_empty_database(db):
    with db.session() as s:
        report = reports.compute(s)
    assert report.weeks == [] and report.channels == []
    assert report.conversations[ALL] == 0 and report.outcomes["resolved"][ALL].value is None
    assert report.rows("repeat") == [{"dimension": "all", "group": "all",
                                      "measure": "came back within 7 days", "numerator": 0,
                                      "denominator": 0, "value": None}]


def test_rows_and_csv_rows(from_march):
    rows = list(reports.csv_rows(from_march, "handoff"))
    assert rows[0] == ["dimension", "group", "measure", "numerator", "denominator", "value"]
    assert ["all", "all", "requested", 2, 7, "0.2857"] in rows
    assert ["channel", "phone", "opt_out", 1, 2, "0.5000"] in rows
    assert ["week", WEEK_B, "any", 2, 4, "0.5000"] in rows
    satisfaction = list(reports.csv_rows(from_march, "satisfaction"))
    assert ["channel", "sms", "average score", 0, 0, ""] in satisfaction
    with pytest.raises(KeyError):
        from_march.rows("nonsense")


def test_labels_and_weeks():
    assert reports.iso_week(datetime(2026, 1, 1)) == "2026-W01"
    assert reports.iso_week(datetime(2027, 1, 1)) == "2026-W53"
    assert reports.weeks_between("2026-W52", "2027-W02") == ["2026-W52", "2026-W53", "2027-W01",
                                                             "2027-W02"]
    assert reports.label(("week", WEEK_A)) == "Week of 2 Mar 2026 (2026-W10)"
    assert reports.label(("channel", "sms")) == "SMS"
    assert reports.percent(1 / 3) == "33.3%" and reports.percent(None) == "–"
