"""SMART targets: the file, the periods, and judging the hand-computed fixture against them."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pytest

from reports import targets as smart
from tests.reports.outcome_fixture import NOW, WINDOW, seed

TARGET = """
callback_due_hours: 24
targets:
  - {measure: resolved_rate, comparison: ">=", value: 0.2, owner: Manager}
  - {measure: time_to_answer_p90, comparison: "<=", value: 3}
  - {measure: callbacks_on_time_rate, comparison: ">=", value: 0.5}
"""


def write(tmp_path, text):
    path = tmp_path / "targets.yml"
    path.write_text(text)
    return path


def test_the_shipped_targets_file_loads():
    loaded = smart.load_targets(smart.DEFAULT_FILE)
    measures = [t.measure for t in loaded.targets]
    assert "resolved_rate" in measures and "time_to_answer_p90" in measures
    resolved = loaded.targets[measures.index("resolved_rate")]
    assert resolved.describe() == "at least 40.0%"
    assert loaded.callback_due == timedelta(hours=24)


def test_kpi_targets_file_overrides_the_default(tmp_path, monkeypatch):
    monkeypatch.setenv("KPI_TARGETS_FILE", str(write(tmp_path, TARGET)))
    assert [t.measure for t in smart.load_targets().targets] == [
        "resolved_rate", "time_to_answer_p90", "callbacks_on_time_rate"]


@pytest.mark.parametrize(("text", "message"), [
    ("targets: [{measure: happiness, comparison: '>=', value: 1}]", "unknown measure 'happiness'"),
    ("targets: [{measure: resolved_rate, comparison: '>', value: 0.4}]", "comparison must be"),
    ("targets: [{measure: resolved_rate, comparison: '>=', value: 40}]", "write 40% as 0.40"),
    ("targets: [{measure: resolved_rate, comparison: '>=', value: high}]", "must be a number"),
    ("targets: {}", "'targets' list"),
    ("targets: [\n  - a: [", "not valid YAML"),
    ("callback_due_hours: 0\ntargets: []", "callback_due_hours must be a positive number"),
])
def test_a_wrong_targets_file_says_what_is_wrong(tmp_path, text, message):
    with pytest.raises(smart.TargetsError, match="target") as error:
        smart.load_targets(write(tmp_path, text))
    assert message in str(error.value)


def test_a_missing_targets_file(tmp_path):
    with pytest.raises(smart.TargetsError, match="cannot read"):
        smart.load_targets(tmp_path / "nope.yml")


def test_week_month_and_quarter():
    week, month, quarter = smart.periods_for(date(2026, 3, 12))
    assert (week.since, week.until) == (datetime(2026, 3, 9), datetime(2026, 3, 16))
    assert (month.since, month.until) == (datetime(2026, 3, 1), datetime(2026, 4, 1))
    assert (quarter.since, quarter.until) == (datetime(2026, 1, 1), datetime(2026, 4, 1))
    assert quarter.label == "Q1 2026 (January to March)"
    *_, q4 = smart.periods_for(date(2026, 12, 31))
    assert (q4.since, q4.until) == (datetime(2026, 10, 1), datetime(2027, 1, 1))
    _, december, _ = smart.periods_for(date(2026, 12, 3))
    assert december.until == datetime(2027, 1, 1)


def test_judging_the_fixture(db, tmp_path):
    seed(db)
    targets = smart.load_targets(write(tmp_path, TARGET))
    with db.session() as s:
        judged = smart.judge(s, targets, date(2026, 3, 12), now=NOW, abandon_after=WINDOW)
    got = {(j.target.measure, j.period.kind): (j.figure.value, j.status) for j in judged}
    # Week of 9 March: r7-r9 and r13-r17 ended, r16 resolved: 1 of 8.
    assert got["resolved_rate", "week"] == (1 / 8, "Not met")
    assert got["resolved_rate", "month"] == (3 / 15, "Met")
    assert got["resolved_rate", "quarter"] == (3 / 15, "Met")
    # r17 waited 5 minutes (week); r4 2 and r17 5 minutes: the 90th percentile is 5.
    assert got["time_to_answer_p90", "week"] == (5.0, "Not met")
    assert got["time_to_answer_p90", "month"] == (5.0, "Not met")
    assert got["callbacks_on_time_rate", "week"] == (0.0, "Not met")  # r15's is overdue
    assert got["callbacks_on_time_rate", "month"] == (0.5, "Met")


def test_no_data_is_never_met(db, tmp_path):
    targets = smart.load_targets(write(tmp_path, TARGET))
    with db.session() as s:
        judged = smart.judge(s, targets, date(2026, 3, 12))
    assert {j.status for j in judged} == {"No data"}


def test_supervisors_see_targets_with_charts_and_csv(signed_in, db, tmp_path, monkeypatch):
    seed(db)
    monkeypatch.setenv("KPI_TARGETS_FILE", str(write(tmp_path, TARGET)))
    client = signed_in("supervisor")
    html = client.get("/advisor/reports/targets?date=2026-03-12").get_data(as_text=True)
    assert "<h1 class=\"govuk-heading-xl\">Targets</h1>" in html
    assert "Q1 2026 (January to March)" in html and "Week of 9 March 2026" in html
    assert html.count('role="img"') == 3
    assert "The dashed line is the target, at least 20.0%." in html
    assert "5.0 minutes: <strong>Not met</strong>" in html
    response = client.get("/advisor/reports/targets.csv?date=2026-03-12")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:4] == ["measure", "comparison", "target", "period"]
    assert ["callbacks_on_time_rate", ">=", "0.5", "month", "2026-03-01", "2026-03-31",
            "0.5000", "1", "2", "Met"] in rows
    assert signed_in("advisor").get("/advisor/reports/targets").status_code == 403


def test_a_bad_date_shows_today(signed_in):
    html = signed_in("admin").get("/advisor/reports/targets?date=31/03").get_data(as_text=True)
    assert "Targets</h1>" in html
