"""Seeded conversations with hand-computed outcomes: one of each way a conversation can end.

Used by tests/reports/test_outcomes.py (SQLite) and tests/topology/test_kpis_postgres.py
(PostgreSQL), so both databases are checked against the same hand-worked answers.
NOW is 20 March 2026 12:00 UTC; the abandonment window is 30 minutes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from services.inclusion import record_need
from storage.models import (
    AnswerFeedback,
    CallbackRequest,
    Case,
    Conversation,
    HandoffTicket,
    Message,
)
from tests.conftest import add_advisor_row

NOW = datetime(2026, 3, 20, 12, 0)
WINDOW = timedelta(minutes=30)


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute)


# id -> the outcome worked out by hand from the definitions in reports/outcomes.py
EXPECTED = {
    "r1": "resolved",      # web bin-day look-up answered; A's next contact is exactly 7 days on
    "r2": "resolved",      # web, said yes to "Did that answer your question?"
    "r3": "came_back",     # SMS report made, but C phoned again 2 days later
    "r4": "handed_over",   # phone, pressed 0, an advisor answered in 2 minutes
    "r5": "abandoned",     # web, left the queue: the router closed the ticket "abandoned"
    "r6": "abandoned",     # phone, hung up while waiting (Twilio status callback)
    "r7": "abandoned",     # phone, hung up mid-report (asked where the pothole is)
    "r8": "abandoned",     # SMS, never replied to "What is your postcode?"
    "r9": "unresolved",    # web, said no to "Did that answer your question?"
    "r10": "in_progress",  # web, active 10 minutes ago: not judged
    "r11": "in_progress",  # web, queued 15 minutes ago: not judged
    "r12": "not_started",  # web, opened, nothing asked: not judged
    "r13": "abandoned",    # phone, hung up during the greeting
    "r14": "abandoned",    # web, stopped mid-report ("What was dumped?")
    "r15": "handed_over",  # web, left the queue but left a number: keeps the callback
    "r16": "resolved",     # SMS library hours answered (A again, 7 days after r1)
    "r17": "handed_over",  # web, advisor answered in 5 minutes
    "r18": "came_back",    # web report by O, who verified F's number; F phoned the next day
}


def seed(db) -> None:  # noqa: PLR0915 - one flat, readable script of the fixture
    with db.session() as s:
        adv = add_advisor_row(s, name="Ann Advisor", email="ann@example.gov.uk")

        def conv(cid, channel, subject, created, state="closed", identified=None):
            s.add(Conversation(id=cid, channel=channel, subject=subject, state=state,
                               identified_subject=identified,
                               created_at=created, updated_at=created))
            s.flush()

        def msg(cid, sender, text, when, intent=None, advisor_id=None):
            s.add(Message(conversation_id=cid, sender=sender, text=text, sent_at=when,
                          intent=intent, advisor_id=advisor_id))
            s.flush()

        def ticket(cid, queued, claimed=None, closed=None, status="queued", reason="requested",
                   outcome=None):
            s.add(HandoffTicket(conversation_id=cid, reason=reason, status=status, summary={},
                                queued_at=queued, claimed_at=claimed, closed_at=closed,
                                advisor_id=adv if claimed else None, outcome=outcome))
            s.flush()

        conv("r1", "web", "A", at(3))
        msg("r1", "resident", "when is my bin day", at(3), "bin_collection_day")
        msg("r1", "bot", "Your next bin days are Tuesday.", at(3))

        conv("r2", "web", "B", at(3, 11))
        msg("r2", "resident", "can I have a bonfire", at(3, 11), "out_of_scope")
        msg("r2", "bot", "Bonfires are allowed. Did that answer your question?", at(3, 11))
        s.add(AnswerFeedback(conversation_id="r2", channel="web", service_id="bonfires",
                             helpful=True, created_at=at(3, 11, 1)))

        conv("r3", "sms", "C", at(4))
        msg("r3", "resident", "missed bin", at(4), "report_missed_bin")
        msg("r3", "bot", "Thank you. Your reference is HC-000001.", at(4, 10, 5))
        s.add(Case(reference="HC-000001", kind="missed_bin", location="1 High St",
                   conversation_id="r3", created_at=at(4, 10, 5)))

        conv("r4", "phone", "C", at(6))
        msg("r4", "bot", "Hello. How can I help?", at(6))
        ticket("r4", at(6), claimed=at(6, 10, 2), closed=at(6, 10, 10), status="closed")
        msg("r4", "advisor", "Hello, Ann here.", at(6, 10, 5), advisor_id=adv)
        s.add(CallbackRequest(conversation_id="r4", phone="+447700900001",
                              created_at=at(6, 10, 15), done_at=at(6, 15)))

        # As the router leaves it (handoff/abandonment.py): state and ticket both "abandoned".
        conv("r5", "web", "D", at(5), state="abandoned")
        msg("r5", "resident", "person", at(5), "request_human")
        ticket("r5", at(5), status="closed", closed=at(5, 10, 20), outcome="abandoned")
        msg("r5", "system", "The resident's page stopped checking for replies while they "
            "waited.", at(5, 10, 20))

        conv("r6", "phone", "E", at(5, 14), state="waiting")
        msg("r6", "bot", "Hello. How can I help?", at(5, 14))
        ticket("r6", at(5, 14))
        msg("r6", "system", "Call ended while the caller was waiting for an advisor.",
            at(5, 14, 3))

        conv("r7", "phone", "F", at(9))
        msg("r7", "bot", "Hello. How can I help?", at(9))
        msg("r7", "resident", "a pothole", at(9), "report_pothole")
        msg("r7", "bot", "Where is the pothole?", at(9))
        msg("r7", "system", "Call ended.", at(9, 10, 1))

        conv("r8", "sms", "G", at(9, 12), state="bot")
        msg("r8", "resident", "missed bin", at(9, 12), "report_missed_bin")
        msg("r8", "bot", "What is your postcode? ", at(9, 12))

        conv("r9", "web", "H", at(10))
        msg("r9", "resident", "skip permit", at(10), "out_of_scope")
        msg("r9", "bot", "You need a permit. Did that answer your question?", at(10))
        s.add(AnswerFeedback(conversation_id="r9", channel="web", service_id="skips",
                             helpful=False, created_at=at(10, 10, 1)))

        conv("r10", "web", "I", at(20, 11, 40), state="bot")
        msg("r10", "resident", "pothole", at(20, 11, 50), "report_pothole")
        msg("r10", "bot", "Where is the pothole?", at(20, 11, 50))

        conv("r11", "web", "J", at(20, 11, 45), state="waiting")
        msg("r11", "resident", "person", at(20, 11, 45), "request_human")
        ticket("r11", at(20, 11, 45))

        conv("r12", "web", "K1", at(11), state="bot")

        conv("r13", "phone", "K", at(11))
        msg("r13", "bot", "Hello. How can I help?", at(11))
        msg("r13", "system", "Call ended.", at(11, 10, 0))

        conv("r14", "web", "L", at(12), state="abandoned")
        msg("r14", "resident", "someone dumped rubbish", at(12), "report_fly_tipping")
        msg("r14", "bot", "What was dumped?", at(12))

        conv("r15", "web", "M", at(12, 9), state="waiting")
        msg("r15", "resident", "person", at(12, 9), "request_human")
        ticket("r15", at(12, 9))
        s.add(CallbackRequest(conversation_id="r15", phone="+447700900002",
                              created_at=at(12, 9, 5)))

        conv("r16", "sms", "A", at(10))  # exactly 7 days after r1: not a repeat of it
        msg("r16", "resident", "library hours", at(10), "library_opening_hours")
        msg("r16", "bot", "Ledbury Library is open 9 to 5.", at(10))

        # Digital inclusion: recorded with agreement, by the bot's action (services.inclusion).
        record_need(s, channel="sms", need="no_internet", offer="tea_and_tech",
                    conversation_id="r3", created_at=at(4, 10, 6))
        record_need(s, channel="phone", need="no_device", offer="device_lending",
                    created_at=at(9, 10, 1))
        record_need(s, channel="web", need="no_skills", offer="tea_and_tech",
                    conversation_id="r9", created_at=at(10, 10, 2))

        conv("r17", "web", "N", at(13, 14))
        msg("r17", "resident", "person", at(13, 14), "request_human")
        ticket("r17", at(13, 14), claimed=at(13, 14, 5), closed=at(13, 14, 20), status="closed")

        # O's web chat: they proved F's phone number is theirs (identified_subject), so F's
        # call about the pothole the next day (r7) is the same person coming back.
        conv("r18", "web", "O", at(8), identified="F")
        msg("r18", "resident", "my street light is out", at(8), "report_street_light")
        msg("r18", "bot", "Thank you. Your reference is HC-000002.", at(8, 10, 5))
        s.add(Case(reference="HC-000002", kind="street_light", location="2 High St",
                   conversation_id="r18", created_at=at(8, 10, 5)))
