"""/advisor/reports: supervisors and admins only, accessible SVG charts, CSV downloads."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

import pytest

from reports.views import Bar, bar_chart, period_bounds
from tests.reports.conftest import WEEK_B, https_client


def test_anonymous_visitors_are_sent_to_sign_in(app):
    client = https_client(app)
    for url in ("/advisor/reports/", "/advisor/reports/outcomes.csv"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/advisor/login")


def test_advisors_are_refused(signed_in):
    client = signed_in("advisor")
    assert client.get("/advisor/reports/").status_code == 403
    assert client.get("/advisor/reports/handoff.csv").status_code == 403


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_supervisors_and_admins_see_the_reports(signed_in, seeded, role):
    response = signed_in(role).get("/advisor/reports/?period=all")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1 class=\"govuk-heading-xl\">Reports</h1>" in html
    assert response.headers["Cache-Control"] == "no-store"


def test_charts_are_accessible_svg_with_a_table_beside_each(signed_in, seeded):
    html = signed_in("supervisor").get("/advisor/reports/?period=all").get_data(as_text=True)
    charts = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    sections = re.findall(r'<section class="app-report".*?</section>', html, flags=re.S)
    assert len(sections) == 11 and len(charts) >= 11
    for chart in charts:
        opening = chart[:chart.index(">")]
        assert 'role="img"' in opening
        ids = re.search(r'aria-labelledby="([^"]+)"', opening).group(1).split()
        assert chart.count("<title ") == 1 and chart.count("<desc ") == 1
        for element_id in ids:
            assert f'id="{element_id}"' in chart
        assert "<script" not in chart and "style=" not in chart
    for section in sections:
        assert "<svg" in section and "<table class=\"govuk-table\">" in section
        assert "<caption" in section and 'scope="col"' in section
        assert re.search(r'href="/advisor/reports/\w+\.csv\?period=all"', section)
    # The figures are in the tables: abandoned 3 of 8 overall, week 11 handoffs 2 of 4.
    assert "<td class=\"govuk-table__cell\">50.0%</td>" in html
    assert "Week of 9 Mar 2026 (2026-W11)" in html
    assert "3 of 8 (37.5%)" in html
    assert "2 of 4 (50.0%)" in html


def test_the_period_filter(signed_in, seeded):
    client = signed_in("supervisor")
    html = client.get("/advisor/reports/?period=4").get_data(as_text=True)
    assert '<option value="4" selected>' in html
    # March 2026 is long before the last four weeks: no conversations.
    assert "No data" in html or "0 of 0" in html
    html = client.get("/advisor/reports/?period=nonsense").get_data(as_text=True)
    assert '<option value="12" selected>' in html


def test_period_bounds():
    now = datetime(2026, 3, 12, 15, 30)  # a Thursday
    assert period_bounds("4", now) == (datetime(2026, 2, 16), "4")
    assert period_bounds("all", now) == (None, "all")
    assert period_bounds("bad", now) == (datetime(2025, 12, 22), "12")


def test_csv_download_for_the_governance_board(signed_in, seeded):
    response = signed_in("admin").get("/advisor/reports/outcomes.csv?period=all")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert re.match(r'attachment; filename="outcomes-all-\d{4}-\d{2}-\d{2}\.csv"',
                    response.headers["Content-Disposition"])
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["dimension", "group", "measure", "numerator", "denominator", "value"]
    assert ["all", "all", "abandoned", "3", "8", "0.3750"] in rows
    assert ["all", "all", "resolved", "0", "8", "0.0000"] in rows
    assert ["channel", "phone", "abandoned", "1", "2", "0.5000"] in rows
    assert ["week", WEEK_B, "abandoned", "1", "4", "0.2500"] in rows
    assert ["week", "2026-W09", "abandoned", "0", "0", ""] in rows
    assert ["all", "all", "in_progress", "0", "", "0"] in rows


@pytest.mark.parametrize("metric", ["conversations", "outcomes", "repeat", "handoff", "optout",
                                    "satisfaction", "helpful", "advisor", "fallback",
                                    "intents", "inclusion"])
def test_every_metric_downloads(signed_in, seeded, metric):
    response = signed_in("supervisor").get(f"/advisor/reports/{metric}.csv?period=all")
    assert response.status_code == 200
    assert len(list(csv.reader(io.StringIO(response.get_data(as_text=True))))) > 1


def test_an_unknown_metric_is_not_found(signed_in):
    assert signed_in("supervisor").get("/advisor/reports/salaries.csv").status_code == 404


def test_bar_chart_escapes_and_labels():
    svg = str(bar_chart("c1", "Title <b>", "Desc & more", [Bar("<script>", 2, "2"),
                                                           Bar("none", None, "–")]))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert '<title id="c1-title">Title &lt;b&gt;</title>' in svg
    assert '<desc id="c1-desc">Desc &amp; more</desc>' in svg
    assert svg.count("<rect") == 1  # no bar for a missing value
    assert "No data" in str(bar_chart("c2", "t", "d", []))
