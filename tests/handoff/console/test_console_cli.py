"""`contact-assistant advisor ...` and `contact-assistant queue list`."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from contact_assistant import cli as root
from handoff.console import auth
from storage.models import Advisor, AuditLog, HandoffTicket


@pytest.fixture
def run(app, monkeypatch):
    monkeypatch.setattr(root, "get_app", lambda: app)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(root.main, list(args), input=input, catch_exceptions=False)

    return invoke


def _advisor(db, email):
    with db.session() as s:
        return s.scalar(select(Advisor).where(Advisor.email == email))


def test_create_prompts_for_the_password_twice(run, db):
    result = run("advisor", "create", "--name", "Sam Smith", "--email", "Sam@Example.gov.uk",
                 "--role", "supervisor", input="a long password 1\na long password 1\n")
    assert result.exit_code == 0, result.output
    assert "Repeat password" in result.output
    sam = _advisor(db, "sam@example.gov.uk")
    assert (sam.name, sam.role, sam.active) == ("Sam Smith", "supervisor", True)
    assert sam.password_hash.startswith("scrypt:")
    assert auth.check_password(sam.password_hash, "a long password 1")


def test_create_with_password_stdin_and_errors(run, db):
    ok = run("advisor", "create", "--name", "Alex", "--email", "alex@example.gov.uk",
             "--password-stdin", input="another long password\n")
    assert ok.exit_code == 0 and "created advisor alex@example.gov.uk" in ok.output
    dup = run("advisor", "create", "--name", "Alex", "--email", "alex@example.gov.uk",
              "--password-stdin", input="another long password\n")
    assert dup.exit_code == 1 and "already exists" in dup.output
    short = run("advisor", "create", "--name", "B", "--email", "b@example.gov.uk",
                "--password-stdin", input="short\n")
    assert short.exit_code == 1 and "12 characters or more" in short.output
    role = run("advisor", "create", "--name", "C", "--email", "c@example.gov.uk",
               "--role", "owner", "--password-stdin", input="another long password\n")
    assert role.exit_code == 2
    with db.session() as s:
        assert s.scalar(select(AuditLog.action)) == "advisor_create"


def test_reset_password_deactivate_and_list(run, db, ticket_for):
    run("advisor", "create", "--name", "Sam", "--email", "sam@example.gov.uk",
        "--password-stdin", input="first long password\n")
    result = run("advisor", "reset-password", "sam@example.gov.uk", "--password-stdin",
                 input="second long password\n")
    assert result.exit_code == 0, result.output
    assert auth.check_password(_advisor(db, "sam@example.gov.uk").password_hash,
                               "second long password")
    assert run("advisor", "reset-password", "nobody@example.gov.uk",
               "--password-stdin", input="x" * 20 + "\n").exit_code == 1

    listing = run("advisor", "list")
    assert "sam@example.gov.uk" in listing.output and "never" in listing.output

    from handoff import queue as ops

    _conv, ticket_id = ticket_for("web")
    ops.claim(db, ticket_id, _advisor(db, "sam@example.gov.uk").id)
    result = run("advisor", "deactivate", "sam@example.gov.uk")
    assert result.exit_code == 0 and "1 conversation(s) returned to the queue" in result.output
    assert _advisor(db, "sam@example.gov.uk").active is False
    with db.session() as s:
        assert s.get(HandoffTicket, ticket_id).status == "queued"
    assert " no " in run("advisor", "list").output


def test_queue_list(run, ticket_for):
    assert "no one is waiting" in run("queue", "list").output
    ticket_for("web", "I want a person", reason="requested")
    ticket_for("web", "I am not safe at home", reason="safeguarding", priority=1)
    lines = run("queue", "list").output.splitlines()
    assert "safeguarding" in lines[1] and "I am not safe at home" in lines[1]
    assert "requested" in lines[2]
