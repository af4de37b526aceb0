"""The advisor console: anonymous users are refused everywhere, every form needs a CSRF token,
and roles are enforced."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import Advisor, AuditLog, HandoffTicket, Message
from tests.security.conftest import add_advisor, concrete, csrf_token, sign_in

# The code and enrolment steps are refused without a right password first (test_two_factor.py).
PUBLIC = {"console.signin.login", "console.signin.code", "console.signin.enrol"}
# The staff areas: the advisor console, the supervisors' reports and the choices form.
AREAS = ("console.", "reports.", "choices.")
# Pages that must exist, so a blueprint missing from contact_assistant.app.BLUEPRINTS fails
# here instead of leaving nothing to check.
REQUIRED = {"console.queue.index", "console.conversation.show", "console.conversation.reply",
            "console.callbacks.index", "console.admin.advisors", "console.cases.index",
            "reports.index", "reports.targets_page", "choices.form", "choices.record"}


def staff_routes(app, method: str) -> list[tuple[str, str]]:
    """(rule, endpoint) of every staff route answering `method`, by endpoint (so a route of
    these blueprints outside /advisor is checked too), static files aside."""
    return [(rule.rule, rule.endpoint) for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith(AREAS) and method in rule.methods
            and not rule.endpoint.endswith(".static")]


def expected_count(app, *, public: bool) -> int:
    """How many (method, route) pairs the url_map has for the staff areas."""
    return sum(1 for rule in app.url_map.iter_rules() for method in ("GET", "POST")
               if rule.endpoint.startswith(AREAS) and method in rule.methods
               and not rule.endpoint.endswith(".static")
               and (public or rule.endpoint not in PUBLIC))


def test_the_staff_areas_are_registered(app):
    assert {"console", "reports", "choices"} <= set(app.blueprints)
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints >= REQUIRED, sorted(REQUIRED - endpoints)


def _ticket(router) -> tuple[str, int]:
    conv = router.start("web", session_key="security-browser")
    result = router.request_handoff(conv, "requested")
    return conv, result.ticket_id


def test_every_console_page_refuses_anonymous_users(app, client, router):
    _, ticket = _ticket(router)
    checked = 0
    for method in ("GET", "POST"):
        for rule, endpoint in staff_routes(app, method):
            if endpoint in PUBLIC:
                continue
            url = concrete(rule, ticket)
            r = client.open(url, method=method, data={} if method == "POST" else None)
            checked += 1
            if rule.startswith("/advisor/api/"):
                assert r.status_code == 401, (method, url, r.status_code)
            elif method == "GET":
                assert r.status_code in (302, 303), (method, url, r.status_code)
                assert "/advisor/login" in r.headers["Location"], (url, r.headers["Location"])
            else:  # refused by CSRF (400) or sign-in (302/401) before doing anything
                assert r.status_code in (302, 303, 400, 401), (method, url, r.status_code)
            body = r.get_data(as_text=True)
            assert "security-browser" not in body
    assert checked == expected_count(app, public=False)
    assert checked >= len(REQUIRED)


def test_anonymous_posts_with_a_valid_csrf_token_still_need_sign_in(app, client, router, db):
    _, ticket = _ticket(router)
    token = csrf_token(client.get("/advisor/login").get_data(as_text=True))
    posts = [(rule, endpoint) for rule, endpoint in staff_routes(app, "POST")
             if endpoint not in PUBLIC]
    assert len(posts) == sum(1 for rule in app.url_map.iter_rules()
                             if rule.endpoint.startswith(AREAS) and "POST" in rule.methods
                             and rule.endpoint not in PUBLIC)
    assert {"console.conversation.reply", "choices.record"} <= {e for _, e in posts}
    for rule, _endpoint in posts:
        url = concrete(rule, ticket)
        r = client.post(url, data={"csrf_token": token, "text": "hi", "name": "x",
                                   "email": "x@example.gov.uk", "role": "admin"})
        assert r.status_code in (302, 303, 401), (url, r.status_code)
    with db.session() as s:
        assert s.get(HandoffTicket, ticket).status == "queued"
        assert s.scalar(select(func.count()).select_from(Advisor)) == 0


def test_every_console_form_needs_a_csrf_token(app, advisor_client, router, db):
    client, _token = advisor_client
    conv, ticket = _ticket(router)
    with db.session() as s:
        messages_before = s.scalar(select(func.count()).select_from(Message))
        advisors_before = s.scalar(select(func.count()).select_from(Advisor))
    posts = staff_routes(app, "POST")
    assert len(posts) == sum(1 for rule in app.url_map.iter_rules()
                             if rule.endpoint.startswith(AREAS) and "POST" in rule.methods)
    assert {"console.signin.login", "console.conversation.reply", "choices.record"} <= {
        endpoint for _rule, endpoint in posts}
    for rule, _endpoint in posts:
        url = concrete(rule, ticket)
        for data in ({}, {"csrf_token": "forged"}):
            r = client.post(url, data={**data, "text": "injected", "email": "evil@example.com",
                                       "name": "Evil", "role": "admin",
                                       "password": "correct horse battery staple 42"})
            assert r.status_code == 400, (url, data, r.status_code)
    with db.session() as s:
        assert s.get(HandoffTicket, ticket).status == "queued"
        assert s.scalar(select(func.count()).select_from(Message)) == messages_before
        assert s.scalar(select(func.count()).select_from(Advisor)) == advisors_before


def test_sign_in_form_needs_a_csrf_token(client, db):
    add_advisor(db, "advisor", "sam@example.gov.uk")
    r = client.post("/advisor/login", data={"email": "sam@example.gov.uk",
                                            "password": "correct horse battery staple 42"})
    assert r.status_code == 400
    assert client.get("/advisor/").status_code in (302, 303)


def test_an_advisor_cannot_use_admin_pages(app, client, db):
    add_advisor(db, "advisor", "sam@example.gov.uk")
    token = sign_in(client, "sam@example.gov.uk")
    admin_routes = [(method, rule) for method in ("GET", "POST")
                    for rule, endpoint in staff_routes(app, method)
                    if endpoint.startswith("console.admin.")]
    assert len(admin_routes) == sum(
        len({"GET", "POST"} & rule.methods) for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("console.admin."))
    assert ("GET", "/advisor/admin/advisors") in admin_routes
    for method, rule in admin_routes:
        url = concrete(rule, 1)
        data = {"csrf_token": token, "name": "Evil", "role": "admin",
                "email": "evil@example.gov.uk", "password": "correct horse battery staple 42"}
        r = client.open(url, method=method, data=data if method == "POST" else None)
        assert r.status_code == 403, (method, url, r.status_code)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Advisor)) == 1


def test_sign_in_is_rate_limited_and_audited(client, db):
    add_advisor(db, "advisor", "sam@example.gov.uk")
    statuses = []
    for _ in range(8):
        token = csrf_token(client.get("/advisor/login").get_data(as_text=True))
        r = client.post("/advisor/login", data={"email": "sam@example.gov.uk",
                                                "password": "wrong password", "csrf_token": token})
        statuses.append(r.status_code)
    assert 429 in statuses, statuses
    assert 303 not in statuses
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditLog)
                        .where(AuditLog.action == "login_failed")) >= 5


def test_next_parameter_cannot_redirect_off_site(client, db):
    from tests.handoff.console.conftest import login

    add_advisor(db, "advisor", "sam@example.gov.uk")
    sign_in(client, "sam@example.gov.uk")  # the first sign-in sets up two-factor sign-in
    client.post("/advisor/logout", data={"csrf_token": csrf_token(
        client.get("/advisor/").get_data(as_text=True))})
    secret = _enrolled_secret(db)
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example",
                 "javascript:alert(1)"):
        r = login(client, "sam@example.gov.uk", "correct horse battery staple 42",
                  url=f"/advisor/login?next={evil}", secret=secret)
        assert r.status_code == 303
        location = r.headers["Location"]
        assert "evil" not in location and location.startswith(("/advisor", "http://localhost/advisor"))
        client.post("/advisor/logout", data={"csrf_token": csrf_token(
            client.get("/advisor/").get_data(as_text=True))})


def _enrolled_secret(db) -> str:
    from handoff.console.twofactor import decrypt_secret
    from tests.handoff.console.conftest import SECRET_KEY

    with db.session() as s:
        advisor = s.scalar(select(Advisor))
        return decrypt_secret(advisor.totp_secret, SECRET_KEY)


def test_seven_wrong_passwords_from_seven_addresses_do_not_get_seven_tries(app, db):
    """Issue 14, finding 3: the per-IP limit alone let a guesser who changes address keep going."""
    add_advisor(db, "advisor", "sam@example.gov.uk")
    statuses = []
    for i in range(7):
        client = app.test_client()
        client.environ_base.update({"HTTP_REFERER": "https://localhost/",
                                    "REMOTE_ADDR": f"198.51.100.{i + 1}"})
        token = csrf_token(client.get("/advisor/login").get_data(as_text=True))
        statuses.append(client.post("/advisor/login", data={
            "email": "sam@example.gov.uk", "password": f"guess {i}",
            "csrf_token": token}).status_code)
    assert statuses == [200] * 5 + [429] * 2
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditLog)
                        .where(AuditLog.action == "login_locked")) == 1
