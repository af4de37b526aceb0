"""The queue: ordering, what each row shows, presence, and race-safe claims."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select, update

from handoff import queue as ops
from storage.models import Advisor, AuditLog, Conversation, HandoffTicket, Message, utcnow
from tests.handoff.console.conftest import add_advisor


def _age(db, ticket_id: int, minutes: int) -> None:
    with db.session() as s:
        s.execute(update(HandoffTicket).where(HandoffTicket.id == ticket_id)
                  .values(queued_at=utcnow() - timedelta(minutes=minutes)))


def test_safeguarding_jumps_the_queue_then_longest_waiting_first(db, console, ticket_for):
    _c1, normal_old = ticket_for("web", "I want a person please", reason="requested")
    _c2, normal_new = ticket_for("web", "can I speak to someone", reason="complaint")
    _c3, housing = ticket_for("sms", "I am about to be homeless", reason="housing",
                              address="07700 900111")
    _c4, urgent = ticket_for("web", "I am scared of my partner", reason="safeguarding",
                             priority=1)
    _age(db, normal_old, 30)
    _age(db, normal_new, 10)
    _age(db, housing, 5)
    sam = console("advisor")
    body = sam.get("/advisor/api/queue").get_json()
    assert [t["id"] for t in body["tickets"]] == [urgent, housing, normal_old, normal_new]
    assert [t["priority"] for t in body["tickets"]] == [1, 2, 3, 3]
    first = body["tickets"][0]
    assert first["reason"] == "safeguarding" and first["priority_label"] == "Urgent"
    assert first["snippet"] == "I am scared of my partner"
    assert body["tickets"][2]["waiting_text"] == "30 minutes"
    assert body["tickets"][1]["channel_label"] == "Text message"
    assert body["count"] == 4 and body["mine"] == []

    page = sam.get("/advisor").get_data(as_text=True)
    order = [page.index(f'data-ticket-id="{t}"') for t in (urgent, housing, normal_old, normal_new)]
    assert order == sorted(order)
    for text in ("Safeguarding", "Housing", "Asked for a person", "Complaint", "Web chat",
                 "Text message", "30 minutes", "I am about to be homeless",
                 'class="govuk-table"', "4 residents are waiting."):
        assert text in page, text
    assert 'src="/advisor/static/console.js"' in page


def test_every_page_load_and_poll_marks_the_advisor_as_seen(db, console):
    sam = console("advisor")
    with db.session() as s:
        s.execute(update(Advisor).where(Advisor.id == sam.id).values(last_seen_at=None))
    sam.get("/advisor/api/queue")
    with db.session() as s:
        seen = s.get(Advisor, sam.id).last_seen_at
    assert seen is not None and utcnow() - seen < timedelta(seconds=5)
    body = sam.get("/advisor/api/queue").get_json()
    assert body["advisors_available"] == 1


def test_the_queue_api_refuses_anonymous_pollers_with_401(client):
    response = client.get("/advisor/api/queue")
    assert response.status_code == 401 and response.is_json


def test_two_concurrent_claims_exactly_one_wins(db, ticket_for):
    a = add_advisor(db, "advisor", email="a@example.gov.uk")
    b = add_advisor(db, "advisor", email="b@example.gov.uk")
    for round_ in range(8):
        _conv, ticket_id = ticket_for("web", f"person please {round_}")
        barrier = threading.Barrier(2)
        outcomes: dict[int, str] = {}

        def attempt(advisor_id: int, ticket_id: int = ticket_id, barrier=barrier,
                    outcomes=outcomes) -> None:
            barrier.wait()
            try:
                ops.claim(db, ticket_id, advisor_id)
                outcomes[advisor_id] = "won"
            except ops.ClaimLost:
                outcomes[advisor_id] = "lost"

        threads = [threading.Thread(target=attempt, args=(x,)) for x in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(outcomes.values()) == ["lost", "won"], outcomes
        winner = next(k for k, v in outcomes.items() if v == "won")
        with db.session() as s:
            ticket = s.get(HandoffTicket, ticket_id)
            assert (ticket.status, ticket.advisor_id) == ("claimed", winner)
            joined = s.scalars(select(Message).where(
                Message.conversation_id == ticket.conversation_id,
                Message.text == ops.JOINED_TEXT)).all()
            assert len(joined) == 1
            claims = s.scalars(select(AuditLog).where(AuditLog.action == "claim",
                                                      AuditLog.target == f"ticket:{ticket_id}"))
            assert [c.advisor_id for c in claims] == [winner]


def test_two_advisors_clicking_claim_at_once_the_loser_is_told(console, ticket_for, db):
    conv, ticket_id = ticket_for("web")
    sam, alex = console("advisor", "Sam"), console("advisor", "Alex")
    sam.token, alex.token  # noqa: B018 - fetch tokens before the race
    barrier = threading.Barrier(2)
    responses = {}

    def click(person):
        barrier.wait()
        responses[person.id] = person.post(f"/advisor/tickets/{ticket_id}/claim")

    threads = [threading.Thread(target=click, args=(p,)) for p in (sam, alex)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    locations = sorted(r.headers["Location"] for r in responses.values())
    assert locations == ["/advisor", f"/advisor/conversation/{ticket_id}"]
    loser = sam if responses[sam.id].headers["Location"] == "/advisor" else alex
    page = loser.get("/advisor").get_data(as_text=True)
    assert "Another advisor has taken this conversation" in page
    assert "govuk-error-summary" in page
    # The loser cannot act on it, nor read it.
    assert loser.get(f"/advisor/conversation/{ticket_id}").headers["Location"] == "/advisor"
    assert loser.get(f"/advisor/api/conversation/{ticket_id}").status_code == 403
    with db.session() as s:
        assert s.get(Conversation, conv).state == "advisor"


def test_claiming_twice_is_harmless_for_the_same_advisor(console, ticket_for):
    _conv, ticket_id = ticket_for("web")
    sam = console("advisor")
    assert sam.post(f"/advisor/tickets/{ticket_id}/claim").status_code == 303
    again = sam.post(f"/advisor/tickets/{ticket_id}/claim")
    assert again.headers["Location"] == f"/advisor/conversation/{ticket_id}"
    body = sam.get("/advisor/api/queue").get_json()
    assert body["tickets"] == [] and [t["id"] for t in body["mine"]] == [ticket_id]


def test_claiming_a_missing_ticket_is_404(console):
    assert console("advisor").post("/advisor/tickets/999/claim").status_code == 404


def test_waiting_text():
    from handoff.console.common import waiting_text

    assert waiting_text(10) == "Less than a minute"
    assert waiting_text(60) == "1 minute"
    assert waiting_text(61 * 60) == "1 hour 1 minute"
    assert waiting_text(120 * 60) == "2 hours"


def test_queue_list_is_sorted_by_priority_then_wait(db, ticket_for):
    _a, later = ticket_for("web", "first", reason="requested")
    _b, urgent = ticket_for("web", "second", reason="safeguarding", priority=1)
    _age(db, later, 60)
    with db.session() as s:
        assert [t.id for t in ops.queued(s)] == [urgent, later]
