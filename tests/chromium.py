"""Debian's chromium for browser tests: one Playwright browser for the whole test session.

Playwright's sync API runs its own event loop, so two `sync_playwright()` at once in one
process fail: every browser test shares the session fixture `browser` in tests/conftest.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Without the background-networking flags chromium tries to reach the network and stalls.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def require_browser():
    """Playwright's sync API, once chromium is known to be there. Under CI=true a missing
    chromium or playwright fails the run (a browser test must never vanish from CI); on a
    developer's machine it skips with the reason."""
    problem = None
    if not Path(CHROMIUM).exists():
        problem = f"chromium not installed at {CHROMIUM} (apt-get install chromium)"
    else:
        try:
            from playwright import sync_api
        except ModuleNotFoundError:
            problem = "the playwright package is not installed"
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser tests cannot run under CI: {problem}", pytrace=False)
        pytest.skip(problem, allow_module_level=True)
    return sync_api


def launch_browser() -> Iterator:
    sync_api = require_browser()
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()
