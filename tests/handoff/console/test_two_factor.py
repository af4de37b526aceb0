"""Two-factor sign-in: enrolment at first sign-in (QR code and the secret as text), a code after
every password, codes never reused, recovery codes, and `advisor reset-2fa`. Codes are computed
with pyotp, as an authenticator app would."""

from __future__ import annotations

import logging
import re
import time

import pyotp
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from contact_assistant import cli as root
from handoff.console import twofactor
from storage.models import Advisor, AdvisorRecoveryCode, AuditLog
from tests.handoff.console.conftest import (
    SECRET_KEY,
    TOTP_SECRET,
    add_advisor,
    csrf_from,
    fresh_code,
    https_client,
    login,
    password_step,
)

_SECRET = re.compile(r"data-totp-secret>([A-Z2-7 ]+)<")
_CODES = re.compile(r"<li><code>([a-z2-9-]{19})</code></li>")


def _advisor(db, email: str) -> Advisor:
    with db.session() as s:
        return s.scalar(select(Advisor).where(Advisor.email == email))


def _actions(db) -> list[str]:
    with db.session() as s:
        return list(s.scalars(select(AuditLog.action).order_by(AuditLog.id)))


def _post_code(client, url: str, code: str):
    page = client.get(url).get_data(as_text=True)
    return client.post(url, data={"csrf_token": csrf_from(page), "code": code})


def _enrol(client, db, email: str, caplog=None) -> tuple[str, list[str]]:
    """Password, then set up the app from the text secret; returns (secret, recovery codes)."""
    response = password_step(client, email)
    assert response.status_code == 303 and response.headers["Location"] == "/advisor/login/enrol"
    page = client.get("/advisor/login/enrol").get_data(as_text=True)
    secret = _SECRET.search(page).group(1).replace(" ", "")
    done = client.post("/advisor/login/enrol", data={"csrf_token": csrf_from(page),
                                                     "code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200, done.get_data(as_text=True)[:300]
    return secret, _CODES.findall(done.get_data(as_text=True))


def test_a_new_advisor_sets_up_two_factor_sign_in_at_first_sign_in(client, db, caplog):
    caplog.set_level(logging.DEBUG)
    add_advisor(db, "advisor", email="new@example.gov.uk", enrolled=False)
    response = password_step(client, "new@example.gov.uk")
    assert response.headers["Location"] == "/advisor/login/enrol"
    assert client.get("/advisor").status_code == 302  # a password alone does not sign in

    page = client.get("/advisor/login/enrol").get_data(as_text=True)
    assert "Set up two-factor sign-in" in page
    assert '<svg role="img"' in page and "<title>QR code for your authenticator app</title>" in page
    secret = _SECRET.search(page).group(1).replace(" ", "")
    assert len(secret) == 32  # shown as text too, for people who cannot scan
    assert '<label class="govuk-label" for="code">Code</label>' in page
    assert 'autocomplete="one-time-code"' in page

    wrong = client.post("/advisor/login/enrol", data={"csrf_token": csrf_from(page),
                                                      "code": "000000"})
    body = wrong.get_data(as_text=True)
    assert wrong.status_code == 200 and "govuk-error-summary" in body and '<a href="#code">' in body
    assert "<title>Error: Set up two-factor sign-in" in body
    assert client.get("/advisor").status_code == 302

    done = client.post("/advisor/login/enrol", data={"csrf_token": csrf_from(page),
                                                     "code": pyotp.TOTP(secret).now()})
    body = done.get_data(as_text=True)
    codes = _CODES.findall(body)
    assert done.status_code == 200 and "Save your recovery codes" in body
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/advisor").status_code == 200  # signed in

    stored = _advisor(db, "new@example.gov.uk")
    assert stored.totp_pending is None and secret not in (stored.totp_secret or "")
    assert twofactor.decrypt_secret(stored.totp_secret, SECRET_KEY) == secret
    with db.session() as s:
        hashes = list(s.scalars(select(AdvisorRecoveryCode.code_hash)))
    assert len(hashes) == 10 and not set(codes) & set(hashes)
    assert secret not in caplog.text and not any(c in caplog.text for c in codes)
    assert _actions(db)[-2:] == ["2fa_enrolled", "login"]

    # The codes were shown once: they are on no page after this.
    assert not _CODES.findall(client.get("/advisor").get_data(as_text=True))


def test_every_sign_in_asks_for_a_code_after_the_password(client, db):
    add_advisor(db, "advisor", email="sam@example.gov.uk")
    response = password_step(client, "sam@example.gov.uk")
    assert response.status_code == 303 and response.headers["Location"] == "/advisor/login/code"
    assert client.get("/advisor").status_code == 302

    page = client.get("/advisor/login/code").get_data(as_text=True)
    assert "Enter your sign-in code" in page and 'autocomplete="one-time-code"' in page
    wrong = _post_code(client, "/advisor/login/code", "123 456")
    assert "The code is wrong or has already been used" in wrong.get_data(as_text=True)
    assert client.get("/advisor").status_code == 302

    right = _post_code(client, "/advisor/login/code", fresh_code(client, "sam@example.gov.uk"))
    assert right.status_code == 303 and right.headers["Location"] == "/advisor"
    assert client.get("/advisor").status_code == 200


def test_a_code_is_never_accepted_twice(app, db):
    add_advisor(db, "advisor", email="sam@example.gov.uk")
    code = pyotp.TOTP(TOTP_SECRET).now()
    first = https_client(app)
    password_step(first, "sam@example.gov.uk")
    assert _post_code(first, "/advisor/login/code", code).status_code == 303

    # Someone who saw the code over the advisor's shoulder tries it straight away.
    second = https_client(app)
    password_step(second, "sam@example.gov.uk")
    replay = _post_code(second, "/advisor/login/code", code)
    assert replay.status_code == 200
    assert "already been used" in replay.get_data(as_text=True)
    assert second.get("/advisor").status_code == 302


def test_codes_one_step_either_side_count_and_older_or_later_ones_do_not():
    totp = pyotp.TOTP(TOTP_SECRET)
    at = 1_800_000_000.0
    step = int(at // 30)
    for offset in (-1, 0, 1):
        assert twofactor.matching_step(TOTP_SECRET, totp.at(at + offset * 30), None, at) == \
            step + offset
    for offset in (-3, -2, 2, 3):
        assert twofactor.matching_step(TOTP_SECRET, totp.at(at + offset * 30), None, at) is None
    # Not newer than the last step used: refused, even inside the window.
    assert twofactor.matching_step(TOTP_SECRET, totp.at(at), step, at) is None
    assert twofactor.matching_step(TOTP_SECRET, totp.at(at + 30), step, at) == step + 1
    for junk in ("", "12345", "1234567", "abcdef", None):
        assert twofactor.matching_step(TOTP_SECRET, junk, None, at) is None


def test_a_recovery_code_signs_in_once(app, client, db):
    add_advisor(db, "advisor", email="new@example.gov.uk", enrolled=False)
    _secret, codes = _enrol(client, db, "new@example.gov.uk")
    client.post("/advisor/logout", data={"csrf_token": csrf_from(
        client.get("/advisor").get_data(as_text=True))})

    password_step(client, "new@example.gov.uk")
    used = _post_code(client, "/advisor/login/code", codes[3].upper().replace("-", " "))
    assert used.status_code == 303
    assert "You have 9 left" in client.get("/advisor").get_data(as_text=True)
    assert _actions(db)[-1] == "login"

    again = https_client(app)
    password_step(again, "new@example.gov.uk")
    refused = _post_code(again, "/advisor/login/code", codes[3])
    assert refused.status_code == 200 and again.get("/advisor").status_code == 302


def test_the_code_steps_need_the_right_password_first(app, client, db):
    add_advisor(db, "advisor", email="sam@example.gov.uk")
    for url in ("/advisor/login/code", "/advisor/login/enrol"):
        response = client.get(url)
        assert response.status_code == 303 and response.headers["Location"] == "/advisor/login"
        token = csrf_from(client.get("/advisor/login").get_data(as_text=True))
        response = client.post(url, data={"csrf_token": token, "code": pyotp.TOTP(
            TOTP_SECRET).now()})
        assert response.status_code == 303 and response.headers["Location"] == "/advisor/login"
        assert client.get("/advisor").status_code == 302
    # A wrong password does not open the code step either.
    password_step(client, "sam@example.gov.uk", "not the password at all")
    assert client.get("/advisor/login/code").headers["Location"] == "/advisor/login"


def test_the_code_step_expires_after_five_minutes(client, db):
    add_advisor(db, "advisor", email="sam@example.gov.uk")
    password_step(client, "sam@example.gov.uk")
    token = csrf_from(client.get("/advisor/login/code").get_data(as_text=True))
    with client.session_transaction() as sess:
        sess["advisor_pending"] = {**sess["advisor_pending"], "at": time.time() - 301}
    response = client.post("/advisor/login/code", data={
        "csrf_token": token, "code": fresh_code(client, "sam@example.gov.uk")})
    assert response.status_code == 303 and response.headers["Location"] == "/advisor/login"
    assert "took too long" in client.get("/advisor/login").get_data(as_text=True)


def test_wrong_codes_count_towards_the_account_lockout(app, db):
    add_advisor(db, "advisor", email="sam@example.gov.uk")
    pages = []
    for i in range(5):
        client = https_client(app)
        client.environ_base["REMOTE_ADDR"] = f"192.0.2.{i + 1}"  # a different IP each time
        password_step(client, "sam@example.gov.uk")
        pages.append(_post_code(client, "/advisor/login/code", "000000"))
    assert [p.status_code for p in pages] == [200] * 5
    assert "too many wrong attempts" in pages[-1].get_data(as_text=True)
    client = https_client(app)
    client.environ_base["REMOTE_ADDR"] = "192.0.2.99"
    response = password_step(client, "sam@example.gov.uk")  # even the right password
    assert response.status_code == 429
    assert "too many wrong attempts" in response.get_data(as_text=True)


@pytest.fixture
def run(app, monkeypatch):
    monkeypatch.setattr(root, "get_app", lambda: app)
    runner = CliRunner()
    return lambda *args: runner.invoke(root.main, list(args), catch_exceptions=False)


def test_reset_2fa_makes_the_advisor_enrol_again_and_signs_them_out(app, db, run):
    add_advisor(db, "advisor", email="sam@example.gov.uk")
    browser = https_client(app)
    assert login(browser, "sam@example.gov.uk").status_code == 303
    result = run("advisor", "reset-2fa", "SAM@example.gov.uk")
    assert result.exit_code == 0 and "set it up again" in result.output
    assert browser.get("/advisor").status_code == 302  # the lost phone's owner is signed out
    stored = _advisor(db, "sam@example.gov.uk")
    assert stored.totp_secret is None and stored.totp_last_step is None
    assert password_step(https_client(app), "sam@example.gov.uk").headers["Location"] == \
        "/advisor/login/enrol"
    assert "2fa_reset" in _actions(db)
    assert run("advisor", "reset-2fa", "nobody@example.gov.uk").exit_code == 1


def test_a_signed_in_advisor_going_back_to_the_code_page_lands_on_the_queue(console):
    sam = console("advisor")
    for url in ("/advisor/login/code", "/advisor/login/enrol"):
        response = sam.get(url)
        assert response.status_code == 303 and response.headers["Location"] == "/advisor"


def test_admins_see_who_has_set_up_two_factor_sign_in(console, db):
    add_advisor(db, "advisor", email="new@example.gov.uk", name="Nia New", enrolled=False)
    admin = console("admin", "Ada")
    page = admin.get("/advisor/admin/advisors").get_data(as_text=True)
    rows = {name: row for name, row in re.findall(
        r'<th scope="row" class="govuk-table__header">([^<]+)</th>(.*?)</tr>', page, flags=re.S)}
    assert "Not set up yet" in rows["Nia New"] and "Set up" in rows["Ada"]
    assert "Not set up yet" not in rows["Ada"]


def test_a_reset_between_the_password_and_the_code_ends_that_sign_in(client, db, run):
    add_advisor(db, "advisor", email="sam@example.gov.uk")
    password_step(client, "sam@example.gov.uk")
    token = csrf_from(client.get("/advisor/login/code").get_data(as_text=True))
    assert run("advisor", "reset-2fa", "sam@example.gov.uk").exit_code == 0
    response = client.post("/advisor/login/code", data={"csrf_token": token,
                                                        "code": pyotp.TOTP(TOTP_SECRET).now()})
    assert response.headers["Location"] == "/advisor/login"
    assert client.get("/advisor").status_code == 302
