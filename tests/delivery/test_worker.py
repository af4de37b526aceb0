"""The worker against the local Open311 back office and Notify endpoint, over real HTTP."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from core.settings import ConfigError
from privacy.register import pseudonym, record
from services import outbox
from services.cases import create_case, find_case, set_status
from storage.models import Case, OutboxMessage
from tests.delivery.conftest import OPTOUT_KEY, delivery_settings, make_worker


def drain(worker) -> None:
    worker.run(threading.Event(), burst=True)


def report(db, settings, *, kind="pothole", preference="email", email="sam@example.org",
           phone=None, **kwargs):
    return create_case(db, kind=kind, location="Aylestone Hill near the bus stop, HR1 1HR",
                       details="Deep pothole in the left lane", contact_preference=preference,
                       postcode="HR1 1HR", contact_email=email, contact_phone=phone,
                       delivery=settings, **kwargs)


def states(db) -> dict[str, str]:
    with db.session() as s:
        return {m.idempotency_key: m.state for m in s.scalars(select(OutboxMessage))}


def test_a_report_reaches_the_back_office_with_its_code_description_and_place(
        db, open311_server, notify_server):
    settings = delivery_settings(open311_server, notify_server)
    case = report(db, settings)
    drain(make_worker(db, settings))

    assert len(open311_server.posts) == 1
    post = open311_server.posts[0]
    assert post["service_code"] == "POT"
    assert post["jurisdiction_id"] == "herefordshire.gov.uk"
    assert "Deep pothole in the left lane" in post["description"]
    assert case.reference in post["description"]
    assert post["address_string"].startswith("Aylestone Hill near the bus stop")
    with db.session() as s:
        row = s.scalars(select(Case).where(Case.reference == case.reference)).one()
        assert row.service_request_id == "1000"
    # The resident chose email: Notify got one "received" message, signed as Notify expects.
    assert notify_server.refused_auth == 0
    [sent] = notify_server.sent
    assert sent["email_address"] == "sam@example.org"
    assert case.reference in sent["personalisation"]["message"]
    assert "call 01432 260000" in sent["personalisation"]["message"]


def test_each_kind_goes_with_its_own_service_code(db, open311_server):
    settings = delivery_settings(open311_server)
    for kind in ("pothole", "fly_tipping", "streetlight", "missed_bin"):
        report(db, settings, kind=kind, preference="no updates")
    drain(make_worker(db, settings))
    assert [p["service_code"] for p in open311_server.posts] == ["POT", "FLY", "SL", "BIN"]


def test_an_unknown_service_code_stops_the_worker_with_a_clear_error(db, open311_server):
    settings = delivery_settings(open311_server,
                                 open311_service_codes={"pothole": "POT", "streetlight": "LAMP"})
    with pytest.raises(ConfigError, match=r"streetlight=LAMP.*It offers: BIN, FLY, POT, SL"):
        make_worker(db, settings).check_backoffice()


def test_a_token_is_resolved_to_the_back_office_id(db):
    from tests.delivery.servers import Open311Server

    server = Open311Server(tokens=True).start()
    try:
        settings = delivery_settings(server)
        case = report(db, settings, preference="no updates")
        worker = make_worker(db, settings)
        drain(worker)
        worker.poll()
        with db.session() as s:
            row = s.scalars(select(Case).where(Case.reference == case.reference)).one()
            assert row.backoffice_token and row.service_request_id == "1000"
    finally:
        server.stop()


def test_a_status_change_reaches_check_my_case_and_the_chosen_channel(
        db, open311_server, notify_server):
    settings = delivery_settings(open311_server, notify_server)
    case = report(db, settings, preference="text message", email=None, phone="07700 900123")
    worker = make_worker(db, settings)
    drain(worker)
    open311_server.set_status("1000", "closed", "Repaired on 3 December.")
    assert worker.poll() == 1
    drain(worker)

    info = find_case(db, case.reference)
    assert (info.status, info.status_note) == ("Closed", "Repaired on 3 December.")
    texts = [n for n in notify_server.sent if n["type"] == "sms"]
    assert [t["phone_number"] for t in texts] == ["+447700900123"] * 2  # received, then closed
    assert "We have closed it. Repaired on 3 December." in texts[1]["personalisation"]["message"]
    # Polling again changes nothing and sends nothing more.
    assert worker.poll() == 0
    drain(worker)
    assert len(notify_server.sent) == 2


def test_nothing_goes_to_a_resident_who_texted_stop(db, notify_server):
    settings = delivery_settings(notify=notify_server)
    case = report(db, settings, preference="text message", email=None, phone="07700 900123")
    with db.session() as s:
        record(s, subject=pseudonym(OPTOUT_KEY, "address", "+447700900123"), scope="sms",
               action="opt_out", channel="sms", method="text", notice_version="v1",
               conversation_id=None, utterance="STOP")
    set_status(db, case.reference, "Fixed", None, source="console")
    drain(make_worker(db, settings))
    assert notify_server.sent == []
    assert set(states(db).values()) == {"suppressed"}


def test_no_updates_means_no_messages_at_all(db, notify_server):
    settings = delivery_settings(notify=notify_server)
    case = report(db, settings, preference="no updates")
    set_status(db, case.reference, "Fixed", None, source="console")
    drain(make_worker(db, settings))
    assert notify_server.sent == [] and states(db) == {}


def test_without_notify_the_message_is_recorded_as_would_have_been_sent(db):
    settings = delivery_settings()
    case = report(db, settings)
    set_status(db, case.reference, "Fixed", None, source="console")
    drain(make_worker(db, settings))
    rows = outbox.messages(db)
    assert {m.state for m in rows} == {"recorded"}
    assert "It is fixed" in rows[0].result["text"]


def test_a_phone_preference_becomes_a_task_for_a_person(db, notify_server):
    settings = delivery_settings(notify=notify_server)
    report(db, settings, preference="phone", email=None, phone="07700 900123")
    drain(make_worker(db, settings))
    assert notify_server.sent == [] and set(states(db).values()) == {"manual"}


# --- faults: every report and notification arrives exactly once ---------------------------------


def test_back_office_500s_then_recovers(db, open311_server):
    settings = delivery_settings(open311_server)
    open311_server.fail_next = 3
    report(db, settings, preference="no updates")
    drain(make_worker(db, settings))
    assert len(open311_server.posts) == 1
    assert set(states(db).values()) == {"sent"}


@pytest.mark.parametrize("fault", ["act_then_fail", "act_then_hang"])
def test_back_office_that_saves_then_errors_or_times_out_gets_the_report_once(
        db, open311_server, fault):
    settings = delivery_settings(open311_server, open311_timeout=0.5)
    open311_server.hang_seconds = 1.5
    setattr(open311_server, fault, 1)
    case = report(db, settings, preference="no updates")
    drain(make_worker(db, settings))
    assert len(open311_server.posts) == 1
    with db.session() as s:
        row = s.scalars(select(Case).where(Case.reference == case.reference)).one()
        assert row.service_request_id == "1000"  # adopted from the back office, not re-posted


@pytest.mark.parametrize("fault", ["fail_next", "act_then_fail", "act_then_hang"])
def test_notify_faults_never_send_twice(db, notify_server, fault):
    settings = delivery_settings(notify=notify_server, open311_timeout=0.5)
    notify_server.hang_seconds = 1.5
    setattr(notify_server, fault, 1)
    report(db, settings)
    drain(make_worker(db, settings))
    assert len(notify_server.sent) == 1
    assert set(states(db).values()) == {"sent"}


def test_a_message_that_keeps_failing_is_failed_then_retried_by_a_supervisor(db, open311_server):
    settings = delivery_settings(open311_server, outbox_max_attempts=3)
    open311_server.fail_next = 5
    report(db, settings, preference="no updates")
    drain(make_worker(db, settings))
    [row] = outbox.messages(db)
    assert row.state == "failed" and row.attempts == 3
    assert "500" in row.last_error
    assert outbox.retry(db, row.id)
    assert not outbox.retry(db, row.id)  # only a failed message can be retried
    drain(make_worker(db, settings))  # two more 500s, then it goes through
    assert outbox.messages(db)[0].state == "sent" and len(open311_server.posts) == 1


def test_a_refused_report_fails_at_once_without_retrying(db, open311_server):
    settings = delivery_settings(open311_server)
    worker = make_worker(db, settings)
    assert worker.check_backoffice()
    open311_server.codes.remove("POT")  # the back office withdrew the code after start-up
    report(db, settings, preference="no updates")
    drain(worker)
    [row] = outbox.messages(db)
    assert row.state == "failed" and row.attempts == 1 and "unknown service_code" in row.last_error


def test_enqueueing_the_same_work_twice_keeps_one_message(db):
    with db.session() as s:
        first = outbox.enqueue(s, kind="email", key="update:HC-1:1")
        second = outbox.enqueue(s, kind="email", key="update:HC-1:1")
        assert first.id == second.id


# --- texts through Twilio ----------------------------------------------------------------------


class TwilioWithHistory:
    """Twilio's REST client as the sender uses it: messages.create and messages.list."""

    def __init__(self, fail_times: int = 0, error: type[Exception] = RuntimeError) -> None:
        self.sent: list[dict] = []
        self.fail_times, self.error = fail_times, error
        self.messages = self

    def create(self, **kwargs):
        if self.fail_times:
            self.fail_times -= 1
            self.sent.append(kwargs)  # it went out, but the answer was lost
            raise self.error("connection reset")
        self.sent.append(kwargs)
        return type("Msg", (), {"sid": f"SM{len(self.sent)}"})()

    def list(self, **kwargs):
        return [type("Msg", (), {"sid": "SM-found", "body": m["body"]})()
                for m in self.sent if m["to"] == kwargs["to"]]


def test_texts_go_through_twilio_when_the_council_chooses_it(db):
    from delivery.sms import TwilioSender

    twilio = TwilioWithHistory()
    settings = delivery_settings(sms_updates_via="twilio")
    report(db, settings, preference="text message", email=None, phone="07700 900123")
    drain(make_worker(db, settings, twilio=TwilioSender(twilio, "+441432000000")))
    [text] = twilio.sent
    assert text["to"] == "+447700900123" and text["from_"] == "+441432000000"
    assert "We have your report" in text["body"] and "call 01432 260000" in text["body"]


def test_an_unexpected_error_is_retried_without_stopping_the_worker_or_sending_twice(db):
    from delivery.sms import TwilioSender

    twilio = TwilioWithHistory(fail_times=1)
    settings = delivery_settings(sms_updates_via="twilio")
    report(db, settings, preference="text message", email=None, phone="07700 900123")
    drain(make_worker(db, settings, twilio=TwilioSender(twilio, "+441432000000")))
    assert len(twilio.sent) == 1  # the retry found the text it had already sent
    [row] = outbox.messages(db)
    assert (row.state, row.result["id"]) == ("sent", "SM-found")
