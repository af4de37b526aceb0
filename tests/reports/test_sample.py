"""`contact-assistant reports sample`: figures on a fresh clone, and nothing left behind."""

from __future__ import annotations

from datetime import date

from click.testing import CliRunner
from sqlalchemy import func, select

from reports import kpis, public
from reports import sample as samples
from reports.cli import reports as reports_cli
from storage.models import Advisor, AnswerFeedback, Case, Conversation, DigitalInclusionNeed

TODAY = date(2026, 4, 15)


def count(db, model) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_sample_figures_fill_every_report_and_every_channel(db):
    with db.session() as s:
        added = samples.add(s, months=3, today=TODAY)
    assert added.months == 3 and added.conversations >= 3 * 105
    with db.session() as s:
        report = kpis.compute(s)
        months = public.monthly(s, today=TODAY)
    for outcome in ("resolved", "came_back", "handed_over", "abandoned", "unresolved"):
        assert report.outcomes[outcome][kpis.ALL].numerator > 0, outcome
    assert report.advisor[kpis.ALL].time_to_answer.count > 0
    assert report.inclusion["all"][kpis.ALL] > 0
    assert sorted({r.month for r in months}) == [date(2026, 1, 1), date(2026, 2, 1),
                                                 date(2026, 3, 1)]
    web = next(r for r in months if r.month == date(2026, 3, 1) and r.channel == "web")
    assert not web.figures["conversations"].suppressed


def test_the_same_figures_every_run(db):
    with db.session() as s:
        samples.add(s, months=2, today=TODAY)
        first = kpis.compute(s).outcomes["resolved"][kpis.ALL]
        samples.add(s, months=2, today=TODAY)  # replaces, never doubles
        assert kpis.compute(s).outcomes["resolved"][kpis.ALL] == first


def test_remove_leaves_nothing_behind(db):
    with db.session() as s:
        samples.add(s, months=1, today=TODAY)
    with db.session() as s:
        assert samples.remove(s) > 0
    for model in (Conversation, AnswerFeedback, DigitalInclusionNeed, Case, Advisor):
        assert count(db, model) == 0, model


def test_refused_when_real_conversations_exist(app, db):
    with db.session() as s:
        s.add(Conversation(id="real-1", channel="web", state="bot"))
    result = CliRunner().invoke(reports_cli, ["sample"], obj=app)
    assert result.exit_code == 1
    assert "Not added: the database holds 1 real conversations" in result.output
    assert count(db, Conversation) == 1


def test_the_command(app, db):
    result = CliRunner().invoke(reports_cli, ["sample", "--months", "1"], obj=app)
    assert result.exit_code == 0, result.output
    assert "sample conversations over 1 months" in result.output
    result = CliRunner().invoke(reports_cli, ["sample", "--remove"], obj=app)
    assert result.exit_code == 0 and result.output.startswith("Removed ")
    assert count(db, Conversation) == 0
