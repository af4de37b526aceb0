"""The web chat in a real browser: axe-core WCAG 2.2 AA (target-size on) in every state,
keyboard only, without JavaScript, at 320px, advisor replies within 2 seconds, session timeout."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.conftest import (
    BINS_REPLY,
    GREETING,
    assert_no_violations,
    screenshot,
)

pytestmark = pytest.mark.browser

LOG = "[role=log]"


def _send_with_mouse(page, text: str) -> None:
    page.fill("#message", text)
    page.click("[data-chat-send]")


def _focus_info(page) -> dict:
    return page.evaluate("""() => {
        const el = document.activeElement;
        const style = getComputedStyle(el);
        const r = el.getBoundingClientRect();
        const panel = document.querySelector('[data-person-panel]');
        const p = panel ? panel.getBoundingClientRect() : null;
        const sticky = panel && getComputedStyle(panel).position === 'sticky';
        // Is anything else painted over the middle of the focused element?
        const cx = Math.min(Math.max(r.left + r.width / 2, 0), window.innerWidth - 1);
        const cy = Math.min(Math.max(r.top + r.height / 2, 0), window.innerHeight - 1);
        const hit = document.elementFromPoint(cx, cy);
        const covered = !!hit && !el.contains(hit) && !hit.contains(el) &&
            !(el.labels && Array.from(el.labels).some(l => l.contains(hit)));
        return {
            tag: el.tagName, id: el.id, text: (el.innerText || el.value || '').trim().slice(0, 60),
            outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
            shadow: style.boxShadow !== 'none',
            background: style.backgroundColor,
            top: r.top, bottom: r.bottom, height: r.height, width: r.width,
            inPanel: panel ? panel.contains(el) : false,
            panelTop: sticky && p ? p.top : 0,
            panelBottom: sticky && p ? p.bottom : 0,
            covered: covered,
            viewport: window.innerHeight,
        };
    }""")


def _assert_focus_visible(info: dict) -> None:
    assert info["outline"] or info["shadow"], f"no visible focus indicator on {info}"
    assert info["width"] > 0 and info["height"] > 0, f"focused element is not shown: {info}"
    if not info["inPanel"] and info["tag"] != "BODY":
        # WCAG 2.4.11: never hidden under the sticky "Talk to a person" bar, or off screen.
        under_bar = info["top"] >= info["panelTop"] and info["bottom"] <= info["panelBottom"]
        assert not (info["panelBottom"] and under_bar), f"focus under the sticky bar: {info}"
        assert not info["covered"], f"something covers the focused element: {info}"
        assert info["bottom"] > 0 and info["top"] < info["viewport"], f"focus off screen: {info}"


def _tab_to(page, predicate, *, backwards: bool = False, limit: int = 60) -> dict:
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        info = _focus_info(page)
        if info["tag"] != "BODY":
            _assert_focus_visible(info)
        if predicate(info):
            return info
    raise AssertionError("could not reach the element with the keyboard")


def _send_with_keyboard(page, text: str, wait_for: str) -> None:
    """Tab to the message box, type `text`, Tab to Send and press Enter; once `wait_for` shows
    in the log, the focus is back in the message box for the next message."""
    _tab_to(page, lambda f: f["id"] == "message")
    page.keyboard.type(text)
    _tab_to(page, lambda f: f["text"] == "Send")
    page.keyboard.press("Enter")
    page.locator(LOG).get_by_text(wait_for).wait_for()
    assert page.evaluate("document.activeElement.id") == "message"


# --- axe in every state (JavaScript on) -------------------------------------------------------

def test_empty_chat_has_no_wcag_violations(new_page):
    page = new_page()
    page.goto("/")
    assert page.title().startswith("Chat with us")
    assert page.locator("[aria-live], [role=alert], [role=status]").count() == 0
    assert page.locator(LOG).count() == 1
    assert_no_violations(page, "empty chat")
    screenshot(page, "web-chat-empty")
    assert page.js_errors == []


def test_conversation_with_buttons_has_no_wcag_violations(new_page):
    page = new_page()
    page.goto("/")
    _send_with_mouse(page, "hello")
    page.locator(LOG).get_by_text(GREETING).wait_for()
    # Sent without reloading; focus stays in the message box, which is empty again.
    assert page.evaluate("document.activeElement.id") == "message"
    assert page.input_value("#message") == ""
    quick = page.locator(".council-chat__quick-reply")
    assert quick.count() == 3
    for i in range(quick.count()):
        box = quick.nth(i).bounding_box()
        assert box["width"] >= 24 and box["height"] >= 24
    assert page.locator(LOG).get_by_text("You said").count() == 1
    assert_no_violations(page, "conversation with buttons")

    quick.get_by_text("Bin collections").click()
    page.locator(LOG).get_by_text(BINS_REPLY).wait_for()
    assert page.evaluate("document.activeElement.id") == "message"
    last_said = page.locator(".council-chat__message--resident .council-chat__text").last
    assert last_said.inner_text() == "Bin collections"
    assert_no_violations(page, "after a quick reply")
    screenshot(page, "web-chat-conversation", docs=True)
    assert page.js_errors == []


def test_error_state_has_no_wcag_violations(new_page):
    page = new_page()
    page.goto("/")
    page.click("[data-chat-send]")
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    assert "Enter a message" in summary.inner_text()
    assert page.title().startswith("Error: ")
    assert page.evaluate("document.activeElement.classList.contains('govuk-error-summary')")
    assert_no_violations(page, "empty message error")
    screenshot(page, "web-chat-error")

    page.fill("#message", "x" * 1001)
    page.click("[data-chat-send]")
    page.get_by_text("1,000 characters or fewer").first.wait_for()
    assert_no_violations(page, "too long error")
    # Clicking the error takes you to the field.
    summary.get_by_role("link").click()
    assert page.evaluate("document.activeElement.id") == "message"


def test_html_in_messages_is_text(new_page):
    page = new_page()
    page.goto("/")
    _send_with_mouse(page, "<img src=x onerror=window.pwned=1><b>bold</b>")
    page.locator(LOG).get_by_text("<b>bold</b>", exact=False).first.wait_for()
    assert page.locator(f"{LOG} img, {LOG} b").count() == 0
    assert page.evaluate("window.pwned") is None


def test_waiting_state_and_advisor_reply_within_two_seconds(new_page, live_server):
    live_server.set_advisor_online(True)
    page = new_page()
    page.goto("/")
    _send_with_mouse(page, "hello")
    page.locator(LOG).get_by_text(GREETING).wait_for()
    page.get_by_role("button", name="Talk to a person").first.click()
    status = page.locator("#conversation-status")
    status.get_by_text("You are waiting to talk to a person").wait_for()
    assert status.locator("[data-queue-position]").inner_text() == "1"
    assert re.match(r"About \d+ minutes?", status.locator("[data-queue-wait]").inner_text())
    assert page.locator(LOG).get_by_text("in the queue").count() == 1
    assert_no_violations(page, "waiting for an advisor")
    screenshot(page, "web-chat-waiting")

    live_server.advisor_says(live_server.latest_conversation(), "Hello, I am Sam from the council.")
    page.locator(".council-chat__message--advisor").wait_for(timeout=2000)
    assert "Advisor" in page.locator(".council-chat__message--advisor").inner_text()
    status.get_by_text("You are talking to an advisor").wait_for(timeout=2000)
    assert_no_violations(page, "talking to an advisor")
    assert page.js_errors == []


def test_waiting_with_nobody_available_offers_a_callback(new_page, live_server):
    live_server.set_advisor_online(False)
    page = new_page()
    page.goto("/")
    page.get_by_role("button", name="Talk to a person").first.click()
    form = page.locator("#callback-form")
    form.wait_for()
    assert_no_violations(page, "callback offer")
    page.click("text=Ask for a call back")  # empty: server-side errors, GOV.UK style
    page.locator(".govuk-error-summary").wait_for()
    assert page.title().startswith("Error: ")
    assert_no_violations(page, "callback errors")
    page.fill("#phone", "01632 960001")
    page.check("#preferred_time")
    page.click("text=Ask for a call back")
    page.get_by_text("You asked us to call you back").first.wait_for()
    live_server.set_advisor_online(True)


def test_closed_conversation_rating(new_page, live_server):
    page = new_page()
    page.goto("/")
    _send_with_mouse(page, "hello")
    page.locator(LOG).get_by_text(GREETING).wait_for()
    page.get_by_role("button", name="Talk to a person").first.click()
    page.get_by_text("You are waiting to talk to a person").wait_for()
    live_server.advisor_says(live_server.latest_conversation(), "All sorted. Goodbye.",
                             state="closed")
    page.get_by_text("The advisor has ended the conversation").wait_for(timeout=2000)
    assert_no_violations(page, "rating")
    page.check("label:has-text('Very satisfied')")
    page.click("text=Send feedback")
    page.get_by_text("Thank you").first.wait_for()


def test_320px_wide_nothing_scrolls_sideways(new_page):
    page = new_page(width=320, height=640)
    page.goto("/")
    _send_with_mouse(page, "hello")
    page.locator(LOG).get_by_text(GREETING).wait_for()
    _send_with_mouse(page, "a-very-long-word-without-spaces-" * 6)
    page.locator(LOG).get_by_text("Sorry, I did not understand").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert_no_violations(page, "320px wide")
    screenshot(page, "web-chat-320px")
    page.get_by_role("button", name="Talk to a person").first.click()
    page.get_by_text("You are waiting to talk to a person").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert_no_violations(page, "320px wide, waiting")


def test_keyboard_only_conversation_including_asking_for_a_person(new_page, live_server):
    live_server.set_advisor_online(True)
    page = new_page()
    page.goto("/")
    # The first Tab reaches the skip link.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    _send_with_keyboard(page, "hello", GREETING)

    # The quick replies are real buttons in the tab order (just before the message box).
    _tab_to(page, lambda f: f["text"] == "Bin collections", backwards=True)
    page.keyboard.press("Enter")
    page.locator(LOG).get_by_text(BINS_REPLY).wait_for()
    assert page.evaluate("document.activeElement.id") == "message"

    _tab_to(page, lambda f: f["text"] == "Yes" and f["tag"] == "BUTTON", backwards=True)
    page.keyboard.press("Enter")
    page.locator(LOG).get_by_text("Is there anything else?").wait_for()
    assert page.evaluate("document.activeElement.id") == "message"

    # "Talk to a person" in the bar, reached with Tab alone.
    _tab_to(page, lambda f: f["text"] == "Talk to a person" and f["inPanel"])
    page.keyboard.press("Enter")
    page.get_by_text("You are waiting to talk to a person").wait_for()
    page.locator(LOG).get_by_text("in the queue").wait_for()
    _send_with_keyboard(page, "My bin was not collected", "My bin was not collected")
    screenshot(page, "web-chat-keyboard")
    assert page.js_errors == []


def test_session_timeout_is_warned_and_can_be_extended(new_page):
    page = new_page()
    page.clock.install()
    page.goto("/")
    _send_with_mouse(page, "hello")
    page.locator(LOG).get_by_text(GREETING).wait_for()
    page.clock.fast_forward("28:30")
    dialog = page.locator("dialog[data-timeout-dialog]")
    dialog.wait_for(state="visible")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Keep my chat open"
    assert_no_violations(page, "timeout warning")
    with page.expect_response("**/api/session/extend") as response:
        page.keyboard.press("Enter")
    assert response.value.status == 200
    dialog.wait_for(state="hidden")
    # The conversation is still there.
    assert page.locator(LOG).get_by_text(GREETING).count() == 1


def test_transcript_download(new_page):
    page = new_page()
    page.goto("/")
    _send_with_mouse(page, "hello")
    page.locator(LOG).get_by_text(GREETING).wait_for()
    with page.expect_download() as download:
        page.click("text=Download a copy of this conversation")
    path = download.value.path()
    text = Path(path).read_text(encoding="utf-8")
    assert "You said: hello" in text and GREETING in text


# --- without JavaScript -------------------------------------------------------------------------

def test_no_javascript_whole_conversation_with_forms(new_page, live_server):
    live_server.set_advisor_online(True)
    page = new_page(javascript=False)
    page.goto("/")
    assert_no_violations(page, "no JS, empty")

    page.fill("#message", "hello")
    page.click("[data-chat-send]")  # a real form post, then redirect
    page.locator(LOG).get_by_text(GREETING).wait_for()
    assert page.evaluate("document.activeElement.id") == "message"  # autofocus after sending
    assert_no_violations(page, "no JS, conversation with buttons")
    screenshot(page, "web-chat-no-js")

    page.get_by_role("button", name="Bin collections").click()
    page.locator(LOG).get_by_text(BINS_REPLY).wait_for()

    page.click("[data-chat-send]")
    page.locator(".govuk-error-summary").wait_for()
    assert page.title().startswith("Error: ")
    assert_no_violations(page, "no JS, error")

    page.locator("[data-person-panel]").get_by_role("button", name="Talk to a person").click()
    page.get_by_text("You are waiting to talk to a person").wait_for()
    check = page.get_by_role("button", name="Check for new messages")
    assert check.is_visible()
    assert_no_violations(page, "no JS, waiting")
    screenshot(page, "web-chat-no-js-waiting")

    live_server.advisor_says(live_server.latest_conversation(), "Hello, this is Sam.")
    check.click()
    page.locator(".council-chat__message--advisor").get_by_text("Hello, this is Sam.").wait_for()
    page.get_by_text("You are talking to an advisor").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024


def test_no_javascript_keyboard_only(new_page):
    page = new_page(javascript=False)
    page.goto("/")
    _send_with_keyboard(page, "hello", GREETING)
    _tab_to(page, lambda f: f["text"] == "Talk to a person" and f["tag"] == "BUTTON",
            backwards=True)
    page.keyboard.press("Enter")
    page.get_by_text("You are waiting to talk to a person").wait_for()


def test_no_javascript_at_320px(new_page):
    page = new_page(width=320, height=640, javascript=False)
    page.goto("/")
    page.fill("#message", "hello")
    page.click("[data-chat-send]")
    page.locator(LOG).get_by_text(GREETING).wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert_no_violations(page, "no JS, 320px")


@pytest.mark.parametrize("path", ["/accessibility", "/no-such-page"])
def test_shared_pages_have_no_wcag_violations(new_page, path):
    page = new_page()
    page.goto(path)
    assert_no_violations(page, path)
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
