"""The supervisors' Cases screens: status and delivery state, changing a status (the resident's
update is queued), "would have been sent" without Notify, and retrying a failed delivery."""

from __future__ import annotations

import threading

from sqlalchemy import select, update

from core.delivery_settings import DeliverySettings
from delivery.worker import Worker
from services import outbox
from services.cases import create_case, find_case
from storage.models import AuditLog, OutboxMessage


def new_case(db, preference="email"):
    return create_case(db, kind="pothole", location="Kings Acre Road, Hereford",
                       details="Deep hole by the school", contact_preference=preference,
                       contact_email="sam@example.org", delivery=DeliverySettings())


def status_changed(console, db, status: str, note: str):
    """A supervisor sets a new case's status on the case page; returns (case, supervisor,
    the form post's response)."""
    case = new_case(db)
    supervisor = console("supervisor")
    response = supervisor.post(f"/advisor/cases/{case.reference}/status",
                               {"status": status, "note": note})
    return case, supervisor, response


def drain(db) -> None:
    Worker(db, DeliverySettings(worker_idle_seconds=0.01),
           optout_key="test-optout-key").run(threading.Event(), burst=True)


def test_only_supervisors_see_cases(console, db):
    case = new_case(db)
    advisor = console("advisor")
    assert advisor.get("/advisor/cases/").status_code == 403
    assert advisor.get(f"/advisor/cases/{case.reference}").status_code == 403
    supervisor = console("supervisor")
    page = supervisor.get("/advisor/cases/").get_data(as_text=True)
    assert case.reference in page
    assert "Kept here: no back office set up" in page
    nav = 'class="govuk-service-navigation__link" href="/advisor/cases/"'
    assert nav in page
    assert nav not in advisor.get("/advisor/callbacks").get_data(as_text=True)


def test_marking_a_case_fixed_shows_the_update_that_would_have_been_sent(console, db):
    case, supervisor, response = status_changed(console, db, "Fixed", "Filled in on Tuesday.")
    assert response.status_code == 302
    assert find_case(db, case.reference).status == "Fixed"
    drain(db)  # the worker, with no Notify key: recorded, not dropped
    page = supervisor.get(f"/advisor/cases/{case.reference}").get_data(as_text=True)
    assert "Fixed: Filled in on Tuesday." in page
    assert "Would have been sent (no service set up)" in page
    assert "It is fixed. Thank you for telling us. Filled in on Tuesday." in page
    deliveries = supervisor.get("/advisor/cases/deliveries").get_data(as_text=True)
    assert deliveries.count('data-outbox-state="recorded"') == 2  # received, then fixed
    with db.session() as s:
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "case_status")).one()
        assert (audit.target, audit.advisor_id) == (case.reference, supervisor.id)


def test_closing_needs_a_reason_and_nothing_changes_without_one(console, db):
    case, _, response = status_changed(console, db, "Closed", "")
    assert response.status_code == 400
    assert "Say why the case is closed" in response.get_data(as_text=True)
    assert find_case(db, case.reference).status == "Received"
    assert len(outbox.messages(db)) == 1  # only the "received" update


def test_a_failed_delivery_is_shown_and_can_be_retried(console, db):
    new_case(db)
    with db.session() as s:
        s.execute(update(OutboxMessage).values(state="failed", attempts=8,
                                               last_error="Notify answered 500"))
    supervisor = console("supervisor")
    assert "1 message could not be delivered" in supervisor.get("/advisor/cases/").get_data(
        as_text=True)
    page = supervisor.get("/advisor/cases/deliveries").get_data(as_text=True)
    assert "Failed: needs a retry" in page and "Notify answered 500" in page
    [message] = outbox.messages(db)
    assert supervisor.post(f"/advisor/cases/deliveries/{message.id}/retry").status_code == 302
    assert outbox.messages(db)[0].state == "pending"
    drain(db)
    assert outbox.messages(db)[0].state == "recorded"


def test_unknown_case_is_404(console):
    assert console("supervisor").get("/advisor/cases/HC-999999").status_code == 404
