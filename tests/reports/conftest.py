"""A seeded set of conversations with hand-computed KPI answers, and signed-in browsers."""

from __future__ import annotations

from datetime import datetime

import pytest

import handoff.console.auth  # noqa: F401 - registers the Flask-Login user loader
from handoff.console import sessions
from storage.models import Conversation, HandoffTicket, Message, OptOutEvent
from tests.conftest import add_advisor_row

WEEK_A = "2026-W10"  # Monday 2 March 2026
WEEK_B = "2026-W11"  # Monday 9 March 2026
WEEK_EARLY = "2026-W08"  # Monday 16 February 2026: outside the period in the filtered tests


def at(day: int, month: int = 3, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, 0)


# (id, channel, created, satisfaction, [(ticket reason, status)], [resident intents])
CONVERSATIONS = [
    ("c1", "web", at(3), 5, [], ["greet", "bin_day"]),
    ("c2", "web", at(4), 3, [("requested", "closed")], ["nlu_fallback", "request_human"]),
    ("c3", "phone", at(6), None, [("opt_out", "queued")], ["opt_out_automation"]),
    ("c4", "phone", at(9), 4, [], ["bin_day", "bin_day", "nlu_fallback"]),
    ("c5", "sms", at(10), None, [("safeguarding", "claimed"), ("requested", "closed")],
     ["safeguarding_concern"]),
    ("c6", "sms", at(12), None, [], ["council_tax", None]),
    ("c7", "web", at(15, hour=23), 2, [("system_failure", "queued")], []),
    ("c8", "web", at(17, month=2), 1, [], ["greet"]),  # week 2026-W08
]
# (scope, action, channel, when)
EVENTS = [
    ("automated_assistant", "opt_out", "phone", at(6)),
    ("data_use", "opt_out", "sms", at(12)),
    ("sms", "opt_out", "sms", at(12)),
    ("automated_assistant", "withdraw", "sms", at(13)),
]


def seed(db) -> None:
    with db.session() as s:
        for conv_id, channel, created, score, tickets, intents in CONVERSATIONS:
            s.add(Conversation(id=conv_id, channel=channel, state="closed",
                               created_at=created, updated_at=created, satisfaction=score))
            s.flush()
            for reason, status in tickets:
                s.add(HandoffTicket(conversation_id=conv_id, reason=reason, status=status,
                                    summary={}, queued_at=created))
            for intent in intents:
                s.add(Message(conversation_id=conv_id, sender="resident", text="words",
                              intent=intent, sent_at=created))
                # Bot messages never count.
                s.add(Message(conversation_id=conv_id, sender="bot", text="reply",
                              intent="bin_day", sent_at=created))
        for scope, action, channel, when in EVENTS:
            s.add(OptOutEvent(subject="x" * 64, scope=scope, action=action, channel=channel,
                              method="text", notice_version="v1", at=when))


@pytest.fixture
def seeded(db):
    seed(db)
    return db


def https_client(app):
    """The session cookie is Secure (PUBLIC_BASE_URL is https) and Flask-WTF wants a same-site
    Referer on https, as browsers send."""
    client = app.test_client()
    client.environ_base.update({"wsgi.url_scheme": "https",
                                "HTTP_REFERER": "https://localhost/advisor"})
    return client


@pytest.fixture
def signed_in(app, db):
    """signed_in(role) -> a test client signed in as a new advisor with that role."""

    def make(role: str):
        with db.session() as s:
            advisor_id = add_advisor_row(s, name=f"Test {role}", email=f"{role}@example.gov.uk",
                                         role=role, active=True)
        client = https_client(app)
        with app.test_request_context(environ_base=dict(client.environ_base)):
            identifier = app.login_manager._session_identifier_generator()
        with client.session_transaction() as sess:
            sess["_user_id"] = str(advisor_id)
            sess["_fresh"] = True
            sess["_id"] = identifier
            sessions.stamp(sess, 1)  # what a real sign-in writes (absolute/idle limits, version)
        client.advisor_id = advisor_id
        return client

    return make
