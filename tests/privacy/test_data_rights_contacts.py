"""Erasure, subject access and retention cover every place a resident's contact details live:
the email and number on a report (cases), an address kept mid-report (conversations.
contact_detail), numbers texted a code (phone_verifications) and updates in the outbox."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from privacy.data_rights import SubjectRef, erase, purge, subject_access
from services import outbox
from storage.models import Case, Conversation, OutboxMessage, PhoneVerification, utcnow
from tests.privacy.conftest import add_conversation

EMAIL = "sam@example.org"
NUMBER = "+447700900123"


def _report(db, conv_id: str, *, email=None, phone=None, status="Received") -> int:
    with db.session() as s:
        case = Case(reference=f"HC-{abs(hash(conv_id)) % 1000000:06d}", kind="pothole",
                    location="1 High St", conversation_id=conv_id, status=status,
                    contact_email=email, contact_phone=phone,
                    contact_preference="email" if email else "text message")
        s.add(case)
        s.flush()
        outbox.enqueue(s, kind="email" if email else "sms", key=f"update:{case.reference}",
                       case_id=case.id, payload={"reference": case.reference,
                                                 "status": "Received", "purpose": "status"})
        return case.id


def _count(db, model, *conditions) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model).where(*conditions))


def test_erasing_by_email_removes_the_report_its_updates_and_its_chat(db, settings):
    # An unverified web chat: only the email on the report ties it to Sam.
    conv = add_conversation(db, subject="web-session-pseudonym", texts=("pothole",))
    _report(db, conv, email=EMAIL)
    other = add_conversation(db, subject="someone-else")
    _report(db, other, email="jo@example.org")
    ref = SubjectRef.from_request(settings.optout_hmac_key, email="Sam@Example.org")

    held = subject_access(db, ref)
    assert [c["contact_email"] for c in held["cases"]] == [EMAIL]
    assert [m["kind"] for m in held["messages_to_you"]] == ["email"]
    assert [c["id"] for c in held["conversations"]] == [conv]

    result = erase(db, ref)
    assert (result.cases_deleted, result.outbox_messages_deleted) == (1, 1)
    assert _count(db, Case, Case.contact_email == EMAIL) == 0
    assert _count(db, Conversation, Conversation.id == conv) == 0
    assert _count(db, OutboxMessage) == 1  # Jo's update stays
    assert _count(db, Case, Case.contact_email == "jo@example.org") == 1


def test_an_address_kept_mid_report_is_found_and_erased(db, settings):
    conv = add_conversation(db, subject="web-session", state="bot")
    with db.session() as s:
        s.get(Conversation, conv).contact_detail = NUMBER
    ref = SubjectRef.from_request(settings.optout_hmac_key, phone="07700 900123")
    held = subject_access(db, ref)
    assert [c["contact_detail"] for c in held["conversations"]] == [NUMBER]
    assert erase(db, ref).conversations_deleted == 1
    assert _count(db, Conversation) == 0


def test_numbers_texted_a_code_are_shown_and_erased(db, settings):
    conv = add_conversation(db, subject="web-session", state="bot")
    with db.session() as s:
        s.add(PhoneVerification(conversation_id=conv, address=NUMBER, code_hash="x" * 64,
                                expires_at=utcnow() + timedelta(minutes=10)))
    ref = SubjectRef.from_request(settings.optout_hmac_key, phone=NUMBER)
    held = subject_access(db, ref)
    assert [v["address"] for v in held["phone_verifications"]] == [NUMBER]
    assert "code_hash" not in held["phone_verifications"][0]
    assert erase(db, ref).phone_verifications_deleted == 1
    assert _count(db, PhoneVerification) == 0


def test_an_outbox_payload_naming_the_address_is_erased(db, settings):
    with db.session() as s:
        outbox.enqueue(s, kind="sms", key="adhoc:1", payload={"to": NUMBER, "text": "hi"})
        outbox.enqueue(s, kind="sms", key="adhoc:2", payload={"to": "+447700900999"})
    ref = SubjectRef.from_request(settings.optout_hmac_key, phone=NUMBER)
    assert [m["payload"]["to"] for m in subject_access(db, ref)["messages_to_you"]] == [NUMBER]
    assert erase(db, ref).outbox_messages_deleted == 1
    assert _count(db, OutboxMessage) == 1


def test_retention_purge_drops_contact_details_of_a_closed_report(db):
    old = add_conversation(db, days_old=120, subject="s1")
    case_id = _report(db, old, phone=NUMBER, status="Fixed")
    purge(db, days=90, now=utcnow())
    with db.session() as s:
        case = s.get(Case, case_id)
        assert case is not None  # the council's record of the report stays
        assert (case.contact_email, case.contact_phone) == (None, None)
    assert _count(db, OutboxMessage, OutboxMessage.case_id == case_id) == 0


def test_retention_keeps_an_open_reports_contact_details(db):
    old = add_conversation(db, days_old=120, subject="s2")
    case_id = _report(db, old, email=EMAIL)  # still "Received": someone still needs it
    purge(db, days=90, now=utcnow())
    with db.session() as s:
        assert s.get(Case, case_id).contact_email == EMAIL
