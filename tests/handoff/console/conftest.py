"""Helpers for the advisor console tests: advisors, signed-in clients, tickets via the router."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from werkzeug.security import generate_password_hash

from handoff.console.auth import hash_password
from storage.models import Advisor

PASSWORD = "correct horse battery staple"
# Most tests sign in many times on a busy machine: a cheap hash of the shared test password keeps
# them quick. The product always hashes with scrypt (see test_passwords_are_hashed_with_scrypt).
CHEAP_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def https_client(app):
    """A browser on the real scheme: the session cookie is Secure (PUBLIC_BASE_URL is https),
    and Flask-WTF's strict HTTPS check wants a same-site Referer, as browsers send."""
    client = app.test_client()
    client.environ_base.update({"wsgi.url_scheme": "https",
                                "HTTP_REFERER": "https://localhost/advisor"})
    return client


@pytest.fixture
def client(app):
    return https_client(app)


def csrf_from(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def page_token(client, url: str = "/advisor/login") -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return csrf_from(response.get_data(as_text=True))


def add_advisor(db, role: str = "advisor", email: str | None = None, name: str | None = None,
                password: str = PASSWORD, active: bool = True, scrypt: bool = False) -> int:
    password_hash = CHEAP_HASH if password == PASSWORD and not scrypt else hash_password(password)
    with db.session() as s:
        advisor = Advisor(name=name or f"{role.title()} Person",
                          email=email or f"{role}@example.gov.uk", role=role, active=active,
                          password_hash=password_hash)
        s.add(advisor)
        s.flush()
        return advisor.id


def login(client, email: str, password: str = PASSWORD):
    token = page_token(client)
    return client.post("/advisor/login", data={"csrf_token": token, "email": email,
                                               "password": password})


class Console:
    """A signed-in advisor's browser: posts carry the CSRF token from the console's pages."""

    def __init__(self, client, advisor_id: int, email: str) -> None:
        self.client, self.id, self.email = client, advisor_id, email
        self._token: str | None = None

    @property
    def token(self) -> str:
        if self._token is None:
            self._token = page_token(self.client, "/advisor")
        return self._token

    def get(self, url: str, **kw):
        return self.client.get(url, **kw)

    def post(self, url: str, data: dict | None = None, **kw):
        return self.client.post(url, data={"csrf_token": self.token, **(data or {})}, **kw)


@pytest.fixture
def console(app, db) -> Callable[..., Console]:
    """console("supervisor") -> a new signed-in browser for a new advisor with that role."""
    count = {"n": 0}

    def make(role: str = "advisor", name: str | None = None) -> Console:
        count["n"] += 1
        email = f"{role}{count['n']}@example.gov.uk"
        advisor_id = add_advisor(db, role, email=email, name=name or f"{role.title()} {count['n']}")
        client = https_client(app)
        response = login(client, email)
        assert response.status_code == 303, response.get_data(as_text=True)
        return Console(client, advisor_id, email)

    return make


def handoff_turn(reason: str = "requested", priority: int | None = None,
                 summary: dict | None = None, text: str = "I will find someone to help you."):
    handoff: dict = {"reason": reason, "summary": summary or {}}
    if priority is not None:
        handoff["priority"] = priority
    return [{"text": text}, {"custom": {"handoff": handoff}}]


@pytest.fixture
def ticket_for(router, fake_rasa, db):
    """ticket_for("web", "I want a person", reason=...) -> (conversation id, ticket id)."""

    def make(channel: str = "web", said: str = "I want to speak to a person", *,
             reason: str = "requested", priority: int | None = None, address: str | None = None,
             call_sid: str | None = None, slots: dict | None = None,
             summary: dict | None = None) -> tuple[str, int]:
        fake_rasa.reply_to(said, handoff_turn(reason, priority, summary), intent="request_human",
                           slots=slots)
        if channel == "sms":
            conv = router.sms_thread(address or "07700 900123")
        elif channel == "phone":
            conv = router.start("phone", address=address or "+447700900456",
                                call_sid=call_sid or "CA" + "1" * 32)
        else:
            conv = router.start("web", session_key=f"browser-{said}")
        result = router.handle(conv, said)
        assert result.state == "waiting", result
        return conv, result.ticket_id

    return make
