"""Browser tests: the real Flask app in a background thread, FakeRasa scripted with buttons,
Debian's chromium driven by Playwright, axe-core for WCAG 2.2 AA.

No real Rasa, no network: chromium starts with everything that phones home turned off.
"""

from __future__ import annotations

import os
import re
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from contact_assistant.app import create_app
from core.settings import PROJECT_ROOT, VAR_DIR, test_settings
from handoff.rasa_client import AssistantTurn
from storage.migrate import upgrade
from storage.models import Advisor, Conversation, Message, utcnow
from tests.fakes import FakeRasa, FakeTwilio

SCREENSHOTS = Path(VAR_DIR) / "screenshots"
DOCS_SCREENSHOT = PROJECT_ROOT / "docs" / "screenshots" / "web-chat.png"

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": WCAG_TAGS},
    "rules": {"target-size": {"enabled": True}},
    "resultTypes": ["violations"],
}

GREETING = "Hello. I am the council's automated assistant. What would you like help with?"
MAIN_BUTTONS = [
    {"title": "Bin collections", "payload": "/ask_bins"},
    {"title": "Council tax", "payload": "/ask_council_tax"},
    {"title": "Talk to a person", "payload": "/request_human"},
]
BINS_REPLY = "Your bins are collected every other Tuesday. Did that answer your question?"
YES_NO = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def scripted_rasa() -> FakeRasa:
    """The assistant's side of every browser test: greetings offer buttons, as the real bot does."""
    fake = FakeRasa()

    def handler(channel: str, sender: str, text: str, metadata: dict) -> AssistantTurn:
        said = text.strip().lower()
        if said in ("hello", "hi"):
            return AssistantTurn(messages=[{"text": GREETING, "buttons": MAIN_BUTTONS}],
                                 intent="greet", confidence=0.99)
        if said == "/ask_bins":
            return AssistantTurn(messages=[{"text": BINS_REPLY, "buttons": YES_NO}],
                                 intent="ask_bins", confidence=1.0)
        if said == "/affirm":
            return AssistantTurn(messages=[{"text": "Good. Is there anything else?"}],
                                 intent="affirm", confidence=1.0)
        return AssistantTurn(messages=[{"text": f"Sorry, I did not understand: {text}"}],
                             intent="nlu_fallback", confidence=0.3)

    fake.handler = handler
    return fake


class LiveServer:
    def __init__(self, app, db) -> None:
        self.app = app
        self.db = db
        self._server = make_server("127.0.0.1", _free_port(), app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)

    # --- helpers that act as the advisor side ---------------------------------------------

    def set_advisor_online(self, online: bool) -> None:
        with self.db.session() as s:
            advisor = s.query(Advisor).filter_by(email="browser@example.gov.uk").one_or_none()
            if advisor is None:
                advisor = Advisor(name="Sam", email="browser@example.gov.uk", password_hash="x",
                                  role="advisor")
                s.add(advisor)
            advisor.last_seen_at = utcnow() if online else utcnow() - timedelta(hours=1)

    def latest_conversation(self) -> str:
        with self.db.session() as s:
            return s.query(Conversation.id).order_by(Conversation.created_at.desc()).first()[0]

    def advisor_says(self, conversation_id: str, text: str, state: str = "advisor") -> None:
        with self.db.session() as s:
            s.get(Conversation, conversation_id).state = state
            s.add(Message(conversation_id=conversation_id, sender="advisor", text=text))

    def set_state(self, conversation_id: str, state: str) -> None:
        with self.db.session() as s:
            s.get(Conversation, conversation_id).state = state


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'browser.db'}"
    upgrade(url)
    settings = test_settings(
        url,
        # Plain HTTP on 127.0.0.1: the session cookie must not be Secure-only here.
        public_base_url="http://127.0.0.1",
        extra={"RATELIMIT_ENABLED": False},
    )
    app = create_app(settings, rasa=scripted_rasa(), twilio=FakeTwilio())
    server = LiveServer(app, app.extensions["db"])
    server.start()
    yield server
    server.stop()
    app.extensions["db"].engine.dispose()


@pytest.fixture
def new_page(browser, live_server):
    """new_page(width=1024, javascript=True): a fresh context, so a fresh session cookie."""
    contexts = []

    def _new(width: int = 1024, height: int = 900, javascript: bool = True):
        context = browser.new_context(
            viewport={"width": width, "height": height},
            java_script_enabled=javascript,
            base_url=live_server.url,
            service_workers="block",
            reduced_motion="reduce",
        )
        context.set_default_timeout(5000)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.js_errors = errors
        page.javascript = javascript
        return page

    yield _new
    for context in contexts:
        context.close()


def axe_violations(page) -> list[dict]:
    """Run axe-core (bundled with axe-playwright-python) for WCAG 2.2 AA, target-size on."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=AXE_OPTIONS)
    return [
        {"id": v["id"], "help": v["help"],
         "nodes": [n.get("target") for n in v["nodes"]][:5]}
        for v in results.response["violations"]
    ]


def _without_javascript(page):
    """axe is JavaScript, so a page with JavaScript off is checked as a copy: its DOM exactly as
    rendered (scripts removed, so no `js-enabled` class) in a context where axe can run."""
    html = re.sub(r"<script\b[^>]*>.*?</script>", "", page.content(), flags=re.S | re.I)
    url = page.url.split("#", 1)[0]
    context = page.context.browser.new_context(viewport=page.viewport_size)
    copy = context.new_page()
    copy.route(lambda u: u.split("#", 1)[0] == url,
               lambda route: route.fulfill(status=200, body=html,
                                           content_type="text/html; charset=utf-8"))
    copy.goto(page.url)
    return context, copy


def assert_no_violations(page, state: str) -> None:
    if getattr(page, "javascript", True):
        violations = axe_violations(page)
    else:
        context, copy = _without_javascript(page)
        try:
            assert copy.evaluate("document.body.classList.contains('js-enabled')") is False
            violations = axe_violations(copy)
        finally:
            context.close()
    assert violations == [], f"axe found WCAG 2.2 AA problems ({state}): {violations}"


def screenshot(page, name: str, *, docs: bool = False) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if docs and os.environ.get("UPDATE_DOCS_SCREENSHOT"):
        # The README's picture, refreshed on request so test runs leave the checkout clean.
        DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(DOCS_SCREENSHOT), full_page=True)
    return path
