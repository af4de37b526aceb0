"""The outcome SQL on PostgreSQL gives the same hand-worked answers as on SQLite
(tests/reports/outcome_fixture.py): the same statements, one dialect-specific date helper."""

from __future__ import annotations

from datetime import date

import pytest

from reports import kpis, public
from reports.kpis import ALL, Rate
from reports.outcomes import outcome_query
from storage.db import Database
from tests.reports.outcome_fixture import EXPECTED, NOW, WINDOW, seed
from tests.reports.test_public import seed_february
from tests.topology.conftest import migrated


@pytest.fixture(scope="module")
def pg(services):
    url = migrated(services)
    db = Database(url)
    seed(db)
    seed_february(db)
    yield db
    db.engine.dispose()


def test_outcomes_on_postgresql(pg):
    with pg.session() as s:
        rows = s.execute(outcome_query(NOW - WINDOW, since=NOW.replace(day=1))).all()
    assert {row.id: row.outcome for row in rows} == EXPECTED


def test_figures_on_postgresql(pg):
    with pg.session() as s:
        report = kpis.compute(s, since=NOW.replace(day=1), now=NOW, abandon_after=WINDOW)
    assert report.outcomes["resolved"][ALL] == Rate(3, 15)
    assert report.outcomes["abandoned"][ALL] == Rate(6, 15)
    assert report.repeat[ALL] == Rate(2, 15)  # r3, r18 (verified number); r1 -> r16 is 7 days
    assert report.advisor[ALL].time_to_answer.seconds == (120.0, 300.0)
    assert report.advisor[ALL].per_advisor_hour == Rate(2, 2)


def test_published_months_on_postgresql(pg):
    with pg.session() as s:
        rows = public.monthly(s, today=date(2026, 4, 2))
    february = next(r for r in rows if r.month == date(2026, 2, 1) and r.channel == "all")
    assert february.figures["conversations"].plain() == 35
    assert february.figures["resolved_rate"].plain() == round(12 / 35, 3)
