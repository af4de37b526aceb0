"""The public pages and the supervisors' reports in a real browser: axe-core WCAG 2.2 AA
(target-size on), with and without JavaScript, at 320px wide, reached from the footer."""

from __future__ import annotations

import time
from datetime import datetime

import pyotp
import pytest
from sqlalchemy import delete, select

from storage.models import Advisor, AnswerFeedback, Case, Conversation, DigitalInclusionNeed
from tests.browser.conftest import assert_no_violations, screenshot
from tests.handoff.console.conftest import PASSWORD, TOTP_SECRET, add_advisor
from tests.reports.outcome_fixture import seed as seed_march
from tests.reports.test_public import seed_february

PUBLIC = ["/about-this-assistant", "/privacy", "/performance"]


@pytest.fixture(scope="module")
def with_figures(live_server):
    """February's 35 conversations (suppression) and March's hand-worked outcomes."""
    seed_february(live_server.db)
    seed_march(live_server.db)
    add_advisor(live_server.db, "supervisor", email="reports-browser@example.gov.uk")
    yield live_server
    # The live server is shared: take the seeded queue and figures away again, so the chat
    # tests that follow see an empty queue.
    with live_server.db.session() as s:
        seeded = select(Conversation.id).where(Conversation.created_at < datetime(2026, 4, 1))
        for model in (AnswerFeedback, DigitalInclusionNeed, Case):
            s.execute(delete(model).where(model.conversation_id.in_(seeded)),
                      execution_options={"synchronize_session": False})
        for conv in s.scalars(select(Conversation).where(Conversation.id.in_(seeded))):
            s.delete(conv)
        # Signed in, the supervisor counts as an advisor available to chat: no longer.
        supervisor = s.scalars(select(Advisor).where(
            Advisor.email == "reports-browser@example.gov.uk")).one()
        supervisor.active, supervisor.last_seen_at = False, None


@pytest.mark.parametrize("path", PUBLIC)
@pytest.mark.parametrize("javascript", [True, False])
def test_public_pages_have_no_wcag_violations(new_page, with_figures, path, javascript):
    page = new_page(javascript=javascript)
    page.goto(path)
    assert page.locator("h1").count() == 1
    assert_no_violations(page, f"{path}, JavaScript {'on' if javascript else 'off'}")
    if javascript:
        screenshot(page, "public" + path.replace("/", "-"))
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
    assert_no_violations(page, f"{path} at 320px")


def test_a_resident_finds_the_pages_from_the_chat(new_page, with_figures):
    page = new_page(javascript=False)
    page.goto("/")
    page.get_by_role("link", name="how we use your information").click()
    page.get_by_role("heading", name="Privacy notice for the contact assistant").wait_for()
    page.get_by_role("contentinfo").get_by_role("link", name="About this assistant").click()
    page.get_by_role("heading", name="About this assistant", exact=True).wait_for()
    page.get_by_role("contentinfo").get_by_role("link", name="Performance").click()
    page.get_by_role("heading", name="How well the assistant is working").wait_for()
    assert page.get_by_text("February 2026").first.is_visible()
    assert page.get_by_text("fewer than 10").first.is_visible()


@pytest.mark.parametrize("path", ["/advisor/reports/?period=all",
                                  "/advisor/reports/targets?date=2026-03-12"])
def test_supervisor_reports_have_no_wcag_violations(new_page, with_figures, path):
    page = new_page()
    page.goto("/advisor/login")
    page.fill("#email", "reports-browser@example.gov.uk")
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/advisor/login/code")
    # Both parametrised cases sign the same supervisor in: each takes the code for its own step.
    step = int(time.time() // 30) + (1 if "targets" in path else 0)
    page.fill("#code", pyotp.TOTP(TOTP_SECRET).at(step * 30))
    page.click("button:has-text('Continue')")
    page.wait_for_url("**/advisor")
    page.goto(path)
    assert page.locator("svg[role=img]").count() >= 3
    assert_no_violations(page, path)
    screenshot(page, "reports-" + path.split("?")[0].strip("/").replace("/", "-"))
