"""Sign-in, sign-out, CSRF, the login rate limit, roles and refusing anonymous users."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from handoff.console import auth
from storage.models import Advisor, AuditLog
from tests.handoff.console.conftest import (
    PASSWORD,
    add_advisor,
    csrf_from,
    https_client,
    login,
    page_token,
)

# Example values for every URL variable, so each console rule can be requested.
URL_VALUES = {"ticket_id": 1, "callback_id": 1, "advisor_id": 1, "filename": "console.js"}
# The code and enrolment steps are refused without a right password first (test_two_factor.py).
PUBLIC = {"console.signin.login", "console.signin.code", "console.signin.enrol"}


def console_rules(app):
    return [r for r in app.url_map.iter_rules() if r.rule.startswith("/advisor")]


def _url(rule) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(URL_VALUES.get(m.group(1), 1)), rule.rule)


def test_console_has_the_routes_we_expect(app):
    endpoints = {r.endpoint for r in console_rules(app)}
    assert {"console.signin.login", "console.signin.logout", "console.queue.index",
            "console.queue.api", "console.queue.claim", "console.conversation.show",
            "console.conversation.api", "console.conversation.reply",
            "console.conversation.hand_back", "console.conversation.close",
            "console.conversation.take_call", "console.callbacks.index", "console.callbacks.done",
            "console.team.index", "console.admin.advisors", "console.admin.deactivate"} <= endpoints


def test_every_console_route_refuses_anonymous_users(app):
    # CSRF is off here only so POSTs reach the sign-in check (CSRF has its own test below).
    app.config["WTF_CSRF_ENABLED"] = False
    client = https_client(app)
    checked = 0
    for rule in console_rules(app):
        if rule.endpoint in PUBLIC:
            continue
        url = _url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            checked += 1
            if url.startswith("/advisor/api/"):
                assert response.status_code == 401, (method, url)
                assert response.is_json and "Sign in" in response.get_json()["error"]
            else:
                assert response.status_code == 302, (method, url, response.status_code)
                assert response.headers["Location"].startswith("/advisor/login"), (method, url)
    assert checked >= 17


def test_page_redirect_remembers_where_the_advisor_was_going(client):
    response = client.get("/advisor/callbacks")
    assert response.headers["Location"] == "/advisor/login?next=/advisor/callbacks"


def test_sign_in_and_out(app, client, db):
    advisor_id = add_advisor(db, "advisor", email="sam@example.gov.uk")
    page = client.get("/advisor/login").get_data(as_text=True)
    assert '<label class="govuk-label" for="email">Email address</label>' in page
    assert 'autocomplete="current-password"' in page
    response = login(client, "  SAM@example.gov.uk ")
    assert response.status_code == 303 and response.headers["Location"] == "/advisor"
    queue = client.get("/advisor")
    assert queue.status_code == 200
    assert "Signed in as" in queue.get_data(as_text=True)
    token = csrf_from(queue.get_data(as_text=True))
    response = client.post("/advisor/logout", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/advisor/login"
    assert client.get("/advisor").status_code == 302
    with db.session() as s:
        actions = s.scalars(select(AuditLog.action).where(AuditLog.advisor_id == advisor_id)
                            .order_by(AuditLog.id)).all()
    assert actions == ["login", "logout"]


def test_sign_in_follows_only_a_safe_next(client, db):
    add_advisor(db, "advisor", email="sam@example.gov.uk")
    response = login(client, "sam@example.gov.uk", url="/advisor/login?next=/advisor/callbacks")
    assert response.headers["Location"] == "/advisor/callbacks"
    client2 = https_client(client.application)
    response = login(client2, "sam@example.gov.uk",
                     url="/advisor/login?next=//evil.example/advisor")
    assert response.headers["Location"] == "/advisor"


@pytest.mark.parametrize("email,password", [
    ("sam@example.gov.uk", "wrong password entirely"),
    ("nobody@example.gov.uk", PASSWORD),
])
def test_wrong_email_or_password_gets_one_generic_error(client, db, email, password):
    add_advisor(db, "advisor", email="sam@example.gov.uk")
    response = login(client, email, password)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Email or password is wrong" in page
    assert "govuk-error-summary" in page and '<a href="#email">' in page
    assert "<title>Error: Sign in" in page
    assert client.get("/advisor").status_code == 302
    with db.session() as s:
        assert s.scalars(select(AuditLog.action)).all() == ["login_failed"]


def test_deactivated_advisor_cannot_sign_in_and_is_signed_out(app, db, console):
    add_advisor(db, "advisor", email="gone@example.gov.uk", active=False)
    response = login(https_client(app), "gone@example.gov.uk")
    assert "Email or password is wrong" in response.get_data(as_text=True)

    sam = console("advisor")
    assert sam.get("/advisor").status_code == 200
    with db.session() as s:
        s.get(Advisor, sam.id).active = False
    assert sam.get("/advisor").status_code == 302


def test_unknown_email_still_checks_a_password(monkeypatch, db, app):
    checked = []
    real = auth.check_password
    monkeypatch.setattr(auth, "check_password", lambda h, p: checked.append(h) or real(h, p))
    with db.session() as s:
        assert auth.authenticate(s, "nobody@example.gov.uk", "whatever") is None
    assert len(checked) == 1 and checked[0].startswith("scrypt:")


def test_passwords_are_hashed_with_scrypt(db, client):
    advisor_id = add_advisor(db, "advisor", scrypt=True)
    with db.session() as s:
        stored = s.get(Advisor, advisor_id).password_hash
    assert stored.startswith("scrypt:") and PASSWORD not in stored
    assert auth.check_password(stored, PASSWORD) and not auth.check_password(stored, "nope")
    assert not auth.check_password("not-a-hash", PASSWORD)
    assert login(client, "advisor@example.gov.uk").status_code == 303


def test_forms_without_a_csrf_token_are_refused(app, db, console):
    app.config["WTF_CSRF_ENABLED"] = True
    add_advisor(db, "advisor", email="sam@example.gov.uk")
    client = https_client(app)
    response = client.post("/advisor/login",
                           data={"email": "sam@example.gov.uk", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/advisor").status_code == 302  # not signed in

    sam = console("advisor")
    for url in ("/advisor/logout", "/advisor/tickets/1/claim", "/advisor/conversation/1/reply",
                "/advisor/conversation/1/close", "/advisor/callbacks/1/done"):
        assert sam.client.post(url, data={"message": "hi"}).status_code == 400, url
        assert sam.client.post(url, data={"csrf_token": "forged"}).status_code == 400, url
    assert sam.get("/advisor").status_code == 200  # the logout without a token did nothing


def test_every_console_form_carries_a_csrf_token(console, ticket_for):
    _conv, ticket_id = ticket_for("web")
    admin = console("admin")
    admin.post(f"/advisor/tickets/{ticket_id}/claim")
    for url in ("/advisor", "/advisor/callbacks", "/advisor/team", "/advisor/admin/advisors",
                f"/advisor/conversation/{ticket_id}"):
        page = admin.get(url).get_data(as_text=True)
        forms = re.findall(r"<form\b.*?</form>", page, flags=re.S)
        assert forms, url
        for form in forms:
            if 'method="post"' in form:
                assert 'name="csrf_token"' in form, (url, form[:200])


def test_login_is_rate_limited_after_five_failures(app, db):
    assert app.config["RATELIMIT_LOGIN"] == "5 per minute"
    add_advisor(db, "advisor", email="sam@example.gov.uk")
    client = https_client(app)
    token = page_token(client)
    statuses = [
        client.post("/advisor/login", data={"csrf_token": token, "email": "sam@example.gov.uk",
                                             "password": f"guess {i}"}).status_code
        for i in range(6)
    ]
    assert statuses == [200] * 5 + [429]
    assert "Too many sign-in attempts" in client.post(
        "/advisor/login", data={"csrf_token": token}).get_data(as_text=True)
    # Even the right password is refused until the window passes.
    response = client.post("/advisor/login", data={"csrf_token": token,
                                                   "email": "sam@example.gov.uk",
                                                   "password": PASSWORD})
    assert response.status_code == 429
    assert client.get("/advisor/login").status_code == 200  # the form itself still shows


def test_successful_sign_ins_do_not_use_up_the_limit(app, db):
    add_advisor(db, "advisor", email="sam@example.gov.uk")
    for _ in range(7):
        client = https_client(app)
        assert login(client, "sam@example.gov.uk").status_code == 303


def test_session_cookie_is_secure_httponly_and_lax(app, db):
    add_advisor(db, "advisor", email="sam@example.gov.uk")
    client = https_client(app)
    response = login(client, "sam@example.gov.uk")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("role,team,admin", [
    ("advisor", 403, 403),
    ("supervisor", 200, 403),
    ("admin", 200, 200),
])
def test_roles_decide_who_sees_the_team_and_admin_pages(console, role, team, admin):
    person = console(role)
    assert person.get("/advisor/team").status_code == team
    assert person.get("/advisor/admin/advisors").status_code == admin
    nav = person.get("/advisor").get_data(as_text=True)
    assert ('href="/advisor/team"' in nav) == (team == 200)
    assert ('href="/advisor/admin/advisors"' in nav) == (admin == 200)
    other = add_advisor(person.client.application.extensions["db"], "advisor",
                        email=f"other-{role}@example.gov.uk")
    response = person.post(f"/advisor/admin/advisors/{other}/deactivate")
    assert response.status_code == (303 if admin == 200 else 403)


def test_role_ranks():
    class Person:
        is_authenticated = True

        def __init__(self, role):
            self.role = role

    assert auth.has_role(Person("admin"), "supervisor")
    assert auth.has_role(Person("supervisor"), "advisor")
    assert not auth.has_role(Person("advisor"), "supervisor")
    assert not auth.has_role(Person("supervisor"), "admin")
    assert not auth.has_role(Person("nonsense"), "advisor")
    with pytest.raises(ValueError):
        auth.role_required("owner")


def test_safe_next():
    assert auth.safe_next("/advisor/team") == "/advisor/team"
    assert auth.safe_next("/advisor/callbacks?") == "/advisor/callbacks"
    for bad in ("https://evil.example/advisor", "//evil.example", "/admin", "/advisor/logout",
                "/advisor\\@evil", None, ""):
        assert auth.safe_next(bad) is None, bad
