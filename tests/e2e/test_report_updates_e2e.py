"""Web chat against the real Rasa and action server: a report asks for the email address the
resident chose for updates, keeps it on the case with the "received" update queued, and
"check my case" tells the status only with the postcode on the case."""

from __future__ import annotations

import re

import requests
from sqlalchemy import create_engine, select

from storage.models import Case, OutboxMessage


def say(web: requests.Session, stack, text: str) -> str:
    r = web.post(f"{stack.base_url}/api/chat", json={"text": text}, timeout=30)
    assert r.status_code == 200, r.text
    return " ".join(reply["text"] for reply in r.json()["replies"])


def test_a_web_report_with_email_updates_then_checking_the_case(stack):
    web = requests.Session()
    say(web, stack, "hello")
    heard = say(web, stack, "I want to report a pothole")
    answers = [
        ("where", "outside 12 High Street, Hereford HR1 2AB"),
        ("how big", "a deep pothole in the middle of the lane"),
        ("keep you updated", "email please"),
        ("email address", "Sam@Example.org"),
        ("shall i send", "yes"),
    ]
    for cue, answer in answers:
        assert cue in heard.lower(), (cue, heard)
        heard = say(web, stack, answer)
    reference = re.search(r"HC-\d{6}", heard).group(0)

    engine = create_engine(stack.database_url)
    with engine.connect() as conn:
        case = conn.execute(select(Case.id, Case.contact_email, Case.postcode)
                            .where(Case.reference == reference)).one()
        kinds = conn.execute(select(OutboxMessage.kind)
                             .where(OutboxMessage.case_id == case.id)).scalars().all()
    engine.dispose()
    assert (case.contact_email, case.postcode) == ("sam@example.org", "HR1 2AB")
    assert kinds == ["email"]  # the "received" update, queued with the case

    # The reference is remembered from the report; the status needs the postcode or address.
    heard = say(web, stack, "what's the status of my case")
    assert "postcode" in heard.lower(), heard
    heard = say(web, stack, "HR9 7AN")  # not the postcode on the case
    assert "a case with that reference exists" in heard.lower(), heard
    assert "Received" not in heard

    heard = say(web, stack, "what's the status of my case")
    heard = say(web, stack, "sam@example.org")  # reaches Rasa redacted; the router kept it
    assert f"Case {reference}" in heard and "Status: Received" in heard, heard

    # A different resident with only the reference is not told anything about it.
    other = requests.Session()
    say(other, stack, "hello")
    heard = say(other, stack, f"what's the status of {reference}")
    if "postcode" in heard.lower():
        heard = say(other, stack, "HR4 0AA")
    assert "a case with that reference exists" in heard.lower(), heard


def test_a_caller_who_says_yes_gets_a_text_with_the_reference_through_the_outbox(stack):
    from tests.e2e.test_voice_e2e import SPOKEN_REFERENCE, Caller

    caller = Caller(stack, "+447700900789")
    caller.dial()
    caller.say("I want to report a pothole")
    script = [
        ("shall i send", "yes"),
        ("text with your reference", "yes please"),
        ("keep you updated", "phone me"),
        ("how big", "a deep pothole in the middle of the lane"),
        ("where", "outside 12 High Street in Hereford"),
    ]
    for _ in range(10):
        last = caller.heard[-1].lower()
        if SPOKEN_REFERENCE.search(caller.heard[-1]):
            break
        answer = next((a for cue, a in script if cue in last), None)
        assert answer is not None, caller.heard
        caller.say(answer)
    said = caller.heard[-1]
    caller.hang_up()
    assert any("text with your reference" in h.lower() for h in caller.heard), caller.heard
    reference = "HC-" + re.sub(r"\D", "", SPOKEN_REFERENCE.search(said).group(1))

    engine = create_engine(stack.database_url)
    with engine.connect() as conn:
        case = conn.execute(select(Case.id, Case.contact_phone, Case.contact_preference)
                            .where(Case.reference == reference)).one()
        rows = conn.execute(select(OutboxMessage.kind, OutboxMessage.payload)
                            .where(OutboxMessage.case_id == case.id)).all()
    engine.dispose()
    assert (case.contact_phone, case.contact_preference) == ("+447700900789", "phone")
    assert sorted((kind, payload["purpose"]) for kind, payload in rows) == [
        ("phone_call", "status"), ("sms", "reference")]
