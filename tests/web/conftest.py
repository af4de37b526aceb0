"""Helpers for the web chat tests: CSRF tokens from the page, advisors online, closing."""

from __future__ import annotations

import re

import pytest

from storage.models import Advisor, Conversation, utcnow

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str = "/") -> str:
    html = client.get(path).get_data(as_text=True)
    match = TOKEN.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def post_form(client, path: str, data: dict, **kwargs):
    """Post a form as a browser would: with the page's CSRF token and a same-origin Referer
    (the test config is HTTPS, where Flask-WTF also checks the Referer)."""
    data = {"csrf_token": csrf_token(client), **data}
    headers = {"Referer": "https://localhost/", **kwargs.pop("headers", {})}
    return client.post(path, data=data, headers=headers, **kwargs)


@pytest.fixture
def advisor_online(db):
    with db.session() as s:
        s.add(Advisor(name="Sam", email="sam@example.gov.uk", password_hash="x",
                      role="advisor", last_seen_at=utcnow()))


@pytest.fixture
def set_state(db):
    def _set(conversation_id: str, state: str) -> None:
        with db.session() as s:
            s.get(Conversation, conversation_id).state = state

    return _set
