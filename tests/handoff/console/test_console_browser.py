"""The console's JavaScript in a real browser (Debian's chromium via Playwright): the queue and
the transcript update themselves, saved replies go into the reply box, replies send without a
reload, and the CSP reports nothing."""

from __future__ import annotations

import re
import threading

import pyotp
import pytest
from werkzeug.serving import make_server

from core.settings import test_settings as settings_for_tests
from tests.browser.conftest import assert_no_violations
from tests.chromium import require_browser
from tests.handoff.console.conftest import PASSWORD, TOTP_SECRET, add_advisor, handoff_turn
from tests.stack import free_port

pytestmark = pytest.mark.browser
sync_api = require_browser()  # under CI=true a missing chromium fails the run, never skips

PORT = free_port()


@pytest.fixture
def settings(database_url):
    # Plain http on 127.0.0.1, as a browser reaches a local server.
    return settings_for_tests(database_url, public_base_url=f"http://127.0.0.1:{PORT}")


@pytest.fixture
def live(app):
    server = make_server("127.0.0.1", PORT, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{PORT}"
    server.shutdown()


@pytest.fixture
def page(browser):
    page = browser.new_page()
    page.problems = []
    page.on("console", lambda m: m.type == "error" and "Content Security Policy" in m.text
            and page.problems.append(m.text))
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    yield page
    page.context.close()


def test_queue_and_transcript_update_themselves(live, page, db, router, fake_rasa):
    add_advisor(db, "advisor", email="sam@example.gov.uk", name="Sam")
    page.goto(f"{live}/advisor")
    page.fill("#email", "sam@example.gov.uk")
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{live}/advisor/login/code")
    page.fill("#code", pyotp.TOTP(TOTP_SECRET).now())
    page.click("button:has-text('Continue')")
    page.wait_for_url(f"{live}/advisor")
    sync_api.expect(page.locator("[data-queue-status]")).to_contain_text("No one is waiting.")

    # A resident asks for a person: the row appears without a reload.
    fake_rasa.reply_to("I need a person <b>now</b>", handoff_turn("requested"))
    conv = router.start("web", session_key="browser-test")
    ticket_id = router.handle(conv, "I need a person <b>now</b>").ticket_id
    row = page.locator(f'[data-queue-table="waiting"] tr[data-ticket-id="{ticket_id}"]')
    sync_api.expect(row).to_contain_text("I need a person <b>now</b>", timeout=3000)
    sync_api.expect(page.locator("[data-queue-status]")).to_contain_text("1 resident is waiting.")

    # Claim from the row the script drew (a real form with the CSRF token).
    row.locator("button:has-text('Claim')").click()
    page.wait_for_url(f"{live}/advisor/conversation/{ticket_id}")

    # The resident writes: the transcript shows it within 2 seconds, as text.
    router.handle(conv, "<img src=x onerror=alert(1)> hello?")
    last = page.locator("[data-transcript] li").last
    sync_api.expect(last).to_contain_text("<img src=x onerror=alert(1)> hello?", timeout=2000)
    assert page.locator("[data-transcript] img").count() == 0

    # A saved reply goes into the box; sending does not reload the page.
    page.select_option("#canned", "1")
    assert page.input_value("#message").startswith("Thank you. Give me a moment")
    page.evaluate("window.__same_page = true")
    page.click("button:has-text('Send reply')")
    sync_api.expect(page.locator("[data-reply-status]")).to_have_text("Reply sent.")
    sync_api.expect(page.locator("[data-transcript] li").last).to_contain_text("You")
    assert page.evaluate("window.__same_page") is True
    assert page.input_value("#message") == ""
    assert router.snapshot(conv).messages[-1].text.startswith("Thank you. Give me a moment")
    assert page.problems == []


def test_first_sign_in_sets_up_two_factor_and_every_page_passes_axe(live, page, db):
    add_advisor(db, "advisor", email="new@example.gov.uk", name="New", enrolled=False)
    page.goto(f"{live}/advisor/login")
    assert_no_violations(page, "sign in")
    page.fill("#email", "new@example.gov.uk")
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{live}/advisor/login/enrol")
    page.click("text=I cannot scan the QR code")
    secret = page.inner_text("[data-totp-secret]").replace(" ", "")
    assert page.locator("[data-totp-qr] svg").count() == 1
    assert_no_violations(page, "set up two-factor sign-in")

    page.fill("#code", "000000")
    page.click("button:has-text('Confirm and sign in')")
    sync_api.expect(page.locator(".govuk-error-summary")).to_contain_text("The code is wrong")
    assert_no_violations(page, "set up, wrong code")

    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("button:has-text('Confirm and sign in')")
    sync_api.expect(page.locator("[data-recovery-codes] li")).to_have_count(10)
    assert re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}",
                        page.locator("[data-recovery-codes] code").first.inner_text())
    assert_no_violations(page, "recovery codes")
    page.click("text=I have saved my codes, continue")
    page.wait_for_url(f"{live}/advisor")

    page.click("button:has-text('Sign out')")
    page.fill("#email", "new@example.gov.uk")
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{live}/advisor/login/code")
    assert_no_violations(page, "enter your code")
    # (page.problems is not checked here: axe itself applies inline styles the CSP blocks.)
