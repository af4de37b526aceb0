"""The content team's report: unanswered and unhelpful questions by week, with CSV."""

from __future__ import annotations

from datetime import datetime

from storage.models import AnswerFeedback, Conversation, UnansweredQuestion
from tests.reports.conftest import https_client


def _seed(db) -> None:
    week_a, week_b = datetime(2026, 3, 3, 10), datetime(2026, 3, 10, 10)
    with db.session() as s:
        s.add(Conversation(id="g1", channel="web", state="closed"))
        s.flush()
        s.add(UnansweredQuestion(conversation_id="g1", channel="web",
                                 text="do you rent out gazebos",
                                 likely_team="leisure", candidates=["parks", "allotments"],
                                 created_at=week_a))
        s.add(UnansweredQuestion(conversation_id="g1", channel="sms",
                                 text="=HYPERLINK(\"x\") bees in my wall", likely_team=None,
                                 candidates=[], created_at=week_b))
        s.add(AnswerFeedback(conversation_id="g1", channel="phone", service_id="bulky-waste",
                             helpful=False, created_at=week_a))
        s.add(AnswerFeedback(conversation_id="g1", channel="web", service_id="bulky-waste",
                             helpful=True, created_at=week_b))


def test_supervisors_see_unanswered_and_unhelpful_by_week(signed_in, db):
    _seed(db)
    page = signed_in("supervisor").get("/advisor/reports/content-gaps?period=all")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Content gaps" in html
    assert "2026-W10" in html and "2026-W11" in html
    assert "do you rent out gazebos" in html and "Parks and play areas, Allotments" in html
    assert "Bulky waste collection" in html  # the unhelpful answer, by its title


def test_the_csv_lists_every_question_and_is_safe_in_a_spreadsheet(signed_in, db):
    _seed(db)
    response = signed_in("admin").get("/advisor/reports/content-gaps.csv?period=all")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == ("kind,week,date,channel,question or service,team,closest services,no,yes")
    assert any(line.startswith("unanswered,2026-W10,2026-03-03,Web chat,do you rent out gazebos")
               for line in lines)
    assert any("'=HYPERLINK" in line for line in lines)
    assert "unhelpful answer,,,,Bulky waste collection,,,1,1" in lines


def test_advisors_cannot_see_it_and_strangers_must_sign_in(signed_in, app):
    assert signed_in("advisor").get("/advisor/reports/content-gaps").status_code == 403
    response = https_client(app).get("/advisor/reports/content-gaps")
    assert response.status_code in (302, 401)
