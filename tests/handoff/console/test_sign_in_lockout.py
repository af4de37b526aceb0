"""Per-account back-off on sign-in: it holds across IP addresses and across app processes
(it is in the database), does not reveal which addresses have accounts, and is audited."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from contact_assistant.app import create_app
from handoff.console import throttle
from storage.models import AuditLog, SignInThrottle, utcnow
from tests.handoff.console.conftest import add_advisor, https_client, login, password_step

LOCKED = "There have been too many wrong attempts to sign in to this account"


def _from(app, ip: str):
    client = https_client(app)
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def _wrong(app, ip: str, email: str = "sam@example.gov.uk"):
    return password_step(_from(app, ip), email, "not the right password")


def test_back_off_starts_after_five_failures_and_doubles():
    assert [throttle.lock_seconds(n) for n in range(1, 10)] == \
        [0, 0, 0, 0, 30, 60, 120, 240, 480]
    assert throttle.lock_seconds(50) == 3600
    assert throttle.wait_text(30) == "30 seconds" and throttle.wait_text(61) == "2 minutes"


def test_an_account_locks_even_when_each_guess_comes_from_a_new_address(app, db):
    add_advisor(db, "advisor", email="sam@example.gov.uk")
    pages = [_wrong(app, f"198.51.100.{i}") for i in range(1, 6)]
    assert [p.status_code for p in pages] == [200] * 5
    assert all("Email or password is wrong" in p.get_data(as_text=True) for p in pages[:4])
    assert LOCKED in pages[4].get_data(as_text=True)
    assert "Wait 30 seconds" in pages[4].get_data(as_text=True)

    right = password_step(_from(app, "198.51.100.50"), "sam@example.gov.uk")
    body = right.get_data(as_text=True)
    assert right.status_code == 429 and LOCKED in body
    assert "govuk-error-summary" in body and '<a href="#email">' in body
    with db.session() as s:
        actions = list(s.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    assert actions == ["login_failed"] * 5 + ["login_locked", "login_refused_locked"]


def test_the_lock_ends_and_a_good_sign_in_clears_the_count(app, db):
    add_advisor(db, "advisor", email="sam@example.gov.uk")
    for i in range(6):
        _wrong(app, f"198.51.100.{i + 1}")
    with db.session() as s:
        s.execute(update(SignInThrottle).values(locked_until=utcnow() - timedelta(seconds=1)))
    assert login(_from(app, "198.51.100.60"), "sam@example.gov.uk").status_code == 303
    with db.session() as s:
        assert s.scalar(select(SignInThrottle)) is None
    # The count starts again from nothing: one wrong password is just a wrong password.
    assert "Email or password is wrong" in _wrong(app, "198.51.100.61").get_data(as_text=True)


def test_unknown_addresses_lock_the_same_way_so_accounts_cannot_be_discovered(app, db):
    pages = [_wrong(app, f"203.0.113.{i}", "nobody@example.gov.uk") for i in range(1, 6)]
    assert LOCKED in pages[4].get_data(as_text=True)


def test_the_count_is_shared_by_every_app_process(app, settings, db, fake_rasa, fake_twilio):
    add_advisor(db, "advisor", email="sam@example.gov.uk")
    other_worker = create_app(settings, rasa=fake_rasa, twilio=fake_twilio)
    other_worker.config.update(TESTING=True)
    for i in range(3):
        _wrong(app, f"198.51.100.{i + 1}")
    for i in range(2):
        _wrong(other_worker, f"198.51.100.{i + 10}")
    response = password_step(_from(app, "198.51.100.99"), "sam@example.gov.uk")
    assert response.status_code == 429
    other_worker.extensions["db"].engine.dispose()
