"""Helpers for the advisor console tests: advisors, signed-in clients, tickets via the router."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pyotp
import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from core.settings import test_settings
from handoff.console.auth import hash_password
from handoff.console.twofactor import encrypt_secret
from storage.models import Advisor

PASSWORD = "correct horse battery staple"
# Most tests sign in many times on a busy machine: a cheap hash of the shared test password keeps
# them quick. The product always hashes with scrypt (see test_passwords_are_hashed_with_scrypt).
CHEAP_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
# Advisors made by add_advisor have already set up two-factor sign-in with this secret.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
SECRET_KEY = test_settings("sqlite://").secret_key
_SECRET = re.compile(r"data-totp-secret>([A-Z2-7 ]+)<")


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
                password: str = PASSWORD, active: bool = True, scrypt: bool = False,
                enrolled: bool = True) -> int:
    password_hash = CHEAP_HASH if password == PASSWORD and not scrypt else hash_password(password)
    with db.session() as s:
        advisor = Advisor(name=name or f"{role.title()} Person",
                          email=email or f"{role}@example.gov.uk", role=role, active=active,
                          password_hash=password_hash,
                          totp_secret=encrypt_secret(TOTP_SECRET, SECRET_KEY) if enrolled else None)
        s.add(advisor)
        s.flush()
        return advisor.id


def fresh_code(client, email: str, secret: str = TOTP_SECRET) -> str:
    """The code the advisor's app shows now. A code is accepted once: when a test signs the same
    advisor in again within 30 seconds, the stored step moves back as if they had waited for
    the app's next code (test_two_factor.py proves a reused code is refused)."""
    step = int(time.time() // 30)
    with client.application.extensions["db"].session() as s:
        advisor = s.scalar(select(Advisor).where(func.lower(Advisor.email) == email.lower()))
        if advisor is not None and advisor.totp_last_step is not None \
                and advisor.totp_last_step >= step - 1:
            advisor.totp_last_step = step - 2
    return pyotp.TOTP(secret).at(step * 30)


def second_step(client, location: str, email: str, secret: str = TOTP_SECRET):
    """Step 2 of sign-in, as the advisor does it: the code page, or first-time enrolment (read
    the secret shown as text, as someone who cannot scan the QR code would)."""
    page = client.get(location).get_data(as_text=True)
    if location.endswith("/enrol"):
        secret = _SECRET.search(page).group(1).replace(" ", "")
    return client.post(location, data={"csrf_token": csrf_from(page),
                                       "code": fresh_code(client, email.strip(), secret)})


def password_step(client, email: str, password: str = PASSWORD, url: str = "/advisor/login"):
    token = page_token(client)
    return client.post(url, data={"csrf_token": token, "email": email, "password": password})


def login(client, email: str, password: str = PASSWORD, url: str = "/advisor/login",
          secret: str = TOTP_SECRET):
    """Sign in through both steps; returns the last response (303 to the console when done)."""
    response = password_step(client, email, password, url)
    location = response.headers.get("Location", "")
    if response.status_code == 303 and location.startswith("/advisor/login/"):
        return second_step(client, location, email, secret)
    return response


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
