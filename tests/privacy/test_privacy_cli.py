"""`contact-assistant privacy`: purge, subject-access, erase and export-training."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import func, select

from privacy import data_rights as privacy
from privacy import register as optout
from privacy.cli import privacy as privacy_cli
from storage.models import (
    AuditLog,
    CallbackRequest,
    Case,
    Conversation,
    HandoffTicket,
    Message,
    OptOutEvent,
)
from tests.privacy.conftest import add_conversation, ago, optout_count

NUMBER = "07700 900123"
OTHER = "07700 900999"


def run(app, *args: str, input: str | None = None):
    result = CliRunner().invoke(privacy_cli, list(args), obj=app, input=input,
                                catch_exceptions=False)
    return result


def exists(db, conv_id: str) -> bool:
    with db.session() as s:
        return s.get(Conversation, conv_id) is not None


def count(db, model) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def add_case(db, conv_id: str, status: str, reference: str) -> None:
    with db.session() as s:
        s.add(Case(reference=reference, kind="missed_bin", location="12 Broad Street",
                   postcode="HR4 0LE", status=status, conversation_id=conv_id))


def data_use_event(db, subject: str, conv_id: str | None, action: str = "opt_out") -> None:
    with db.session() as s:
        optout.record(s, subject=subject, scope="data_use", action=action, channel="sms",
                      method="text", notice_version="v1", conversation_id=conv_id,
                      utterance=None)


# --- purge ------------------------------------------------------------------------------------


def test_purge_keeps_to_the_retention_periods(app, db, tracker):
    old = add_conversation(db, days_old=100)
    old_bot = add_conversation(db, days_old=95, state="bot")  # abandoned, never closed
    old_open_ticket = add_conversation(db, days_old=100, state="waiting", ticket="queued")
    old_claimed = add_conversation(db, days_old=100, state="advisor", ticket="claimed")
    old_closed_ticket = add_conversation(db, days_old=100, ticket="closed")
    old_open_case = add_conversation(db, days_old=100)
    add_case(db, old_open_case, "In progress", "HC-100001")
    old_closed_case = add_conversation(db, days_old=100)
    add_case(db, old_closed_case, "Closed", "HC-100002")
    recent = add_conversation(db, days_old=10)
    edge = add_conversation(db, days_old=89)
    data_use_old = add_conversation(db, days_old=40, data_use=True)
    data_use_recent = add_conversation(db, days_old=20, data_use=True)
    data_use_open = add_conversation(db, days_old=40, data_use=True, state="waiting",
                                     ticket="queued")
    plain_40 = add_conversation(db, days_old=40)
    # A resident whose standing choice is data_use: an older conversation without the flag.
    standing_subject = "s" * 64
    standing = add_conversation(db, days_old=40, subject=standing_subject)
    data_use_event(db, standing_subject, None)
    events_before = optout_count(db)

    for conv_id, days in [(old, 100), (old_bot, 95), (old_open_ticket, 100), (recent, 10),
                          (data_use_old, 40), (plain_40, 40)]:
        tracker.add(conv_id, days)
    tracker.add("rasa-only-stale-sender", 120)
    tracker.add("rasa-only-fresh-sender", 1)

    result = run(app, "purge", "--tracker-url", tracker.url)
    assert result.exit_code == 0, result.output
    assert "Deleted 6 conversations" in result.output
    assert "kept 4 that people still need" in result.output

    gone = [old, old_bot, old_closed_ticket, old_closed_case, data_use_old, standing]
    kept = [old_open_ticket, old_claimed, old_open_case, recent, edge, data_use_recent,
            data_use_open, plain_40]
    assert [c for c in gone if exists(db, c)] == []
    assert [c for c in kept if not exists(db, c)] == []
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Message)
                        .where(Message.conversation_id.in_(gone))) == 0
        assert s.scalar(select(func.count()).select_from(HandoffTicket)
                        .where(HandoffTicket.conversation_id.in_(gone))) == 0
        # The council's case record stays; only the transcript goes.
        assert s.scalar(select(func.count()).select_from(Case)) == 2
    assert optout_count(db) == events_before

    assert tracker.senders() == {old_open_ticket, recent, plain_40, "rasa-only-fresh-sender"}
    assert "events from the assistant's tracker store" in result.output


def test_purge_days_option_and_old_messages_in_live_conversations(app, db, router, monkeypatch):
    # No tracker store configured: the developer's own var/rasa_tracker.db must not be touched.
    monkeypatch.delenv("RASA_TRACKER_DB", raising=False)
    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)
    conv = add_conversation(db, days_old=50, state="bot", texts=("first", "second"))
    with db.session() as s:
        s.add(Message(conversation_id=conv, sender="resident", text="today"))
        s.get(Conversation, conv).state = "bot"  # touched now: still live
    short = add_conversation(db, days_old=8)
    result = run(app, "purge", "--days", "7", "--data-use-days", "3")
    assert result.exit_code == 0, result.output
    assert not exists(db, short) and exists(db, conv)
    with db.session() as s:
        assert list(s.scalars(select(Message.text).where(Message.conversation_id == conv))) == [
            "today"]
        assert s.scalar(select(AuditLog.action).order_by(AuditLog.id.desc())) == "privacy_purge"
    assert "No tracker store found" in result.output


def test_purge_defaults_come_from_settings(app, db):
    kept = add_conversation(db, days_old=80)
    gone = add_conversation(db, days_old=91)
    result = run(app, "purge")
    assert "older than 90 days (30 days for data use opt-outs)" in result.output
    assert exists(db, kept) and not exists(db, gone)


def test_purge_refuses_nonsense():
    with pytest.raises(ValueError):
        privacy.purge(None, days=0)


def test_tracker_url_from_the_environment():
    assert privacy.tracker_url_from_env({"RASA_TRACKER_DB": "/x/t.db"}) == "sqlite:////x/t.db"
    assert privacy.tracker_url_from_env({"TRACKER_DATABASE_URL": "postgresql://h/rasa",
                                         "RASA_TRACKER_DB": "/x/t.db"}) == "postgresql://h/rasa"
    assert privacy.tracker_url_from_env({}) is None


# --- subject access ---------------------------------------------------------------------------


def _resident_with_history(router, fake_rasa, db, tracker=None):
    fake_rasa.reply_to("report a missed bin", [{"text": "Sorry about that."}], intent="missed_bin")
    call = router.start("phone", address=NUMBER, call_sid="CA1")
    router.handle(call, "report a missed bin", method="speech")
    router.request_handoff(call, "requested")
    router.request_callback(call, phone=NUMBER, preferred_time="after 5pm", notes="about bins")
    router.record_choice(call, "call_recording", "opt_out", method="keypad")
    text = router.sms_thread(NUMBER)
    router.handle(text, "report a missed bin")
    web = router.start("web", session_key="browser-1")
    router.identify(web, "+447700900123")
    router.handle(web, "report a missed bin")
    add_case(db, call, "Received", "HC-104233")
    # Someone else entirely.
    other = router.start("sms", address=OTHER)
    router.handle(other, "report a missed bin")
    router.record_choice(other, "sms", "opt_out", method="text")
    if tracker is not None:
        for conv_id in (call, text, web, other):
            tracker.add(conv_id, 1, text="report a missed bin")
    return {"call": call, "text": text, "web": web, "other": other}


def test_subject_access_exports_everything_for_one_resident(app, router, fake_rasa, db, tracker,
                                                            tmp_path):
    ids = _resident_with_history(router, fake_rasa, db, tracker)
    out = tmp_path / "export.json"
    result = run(app, "subject-access", "--phone", "+44 7700 900123", "--output", str(out),
                 "--tracker-url", tracker.url)
    assert result.exit_code == 0, result.output
    export = json.loads(out.read_text())
    assert {c["id"] for c in export["conversations"]} == {ids["call"], ids["text"], ids["web"]}
    call = next(c for c in export["conversations"] if c["id"] == ids["call"])
    assert [m["text"] for m in call["messages"]][0] == "report a missed bin"
    assert call["tickets"][0]["reason"] == "requested"
    assert call["callbacks"][0]["preferred_time"] == "after 5pm"
    assert call["address"] == "+447700900123"
    assert [(e["scope"], e["action"]) for e in export["optout_events"]] == [
        ("call_recording", "opt_out")]
    assert export["current_choices"] == ["call_recording"]
    assert [c["reference"] for c in export["cases"]] == ["HC-104233"]
    assert {e["sender_id"] for e in export["assistant_records"]} == {
        ids["call"], ids["text"], ids["web"]}
    assert ids["other"] not in out.read_text()
    assert export["subject"]["kind"] == "phone"
    assert NUMBER not in json.dumps(export["subject"])


def test_subject_access_by_web_session_and_email_to_stdout(app, router, fake_rasa, db):
    web = router.start("web", session_key="browser-7")
    router.handle(web, "hello")
    router.identify(web, "Jo@Example.com")
    result = run(app, "subject-access", "--web-session", "browser-7")
    assert json.loads(result.output)["conversations"][0]["id"] == web
    result = run(app, "subject-access", "--email", "jo@example.com")
    assert json.loads(result.output)["conversations"][0]["id"] == web
    result = run(app, "subject-access", "--email", "someone@example.com")
    assert json.loads(result.output)["conversations"] == []


@pytest.mark.parametrize("args", [[], ["--phone", NUMBER, "--email", "jo@example.com"],
                                  ["--phone", "123"], ["--email", "not-an-email"]])
def test_subject_access_needs_exactly_one_usable_identifier(app, args):
    result = CliRunner().invoke(privacy_cli, ["subject-access", *args], obj=app)
    assert result.exit_code == 2
    assert "Error" in result.output


# --- erase ------------------------------------------------------------------------------------


def test_erase_deletes_everything_but_the_register(app, router, fake_rasa, db, tracker):
    ids = _resident_with_history(router, fake_rasa, db, tracker)
    events_before = optout_count(db)
    result = run(app, "erase", "--phone", NUMBER, "--yes", "--tracker-url", tracker.url)
    assert result.exit_code == 0, result.output
    assert "Erased 3 conversations" in result.output and "1 cases" in result.output
    assert "Kept 1 opt-out events" in result.output
    for key in ("call", "text", "web"):
        assert not exists(db, ids[key])
    assert exists(db, ids["other"])
    assert count(db, CallbackRequest) == 0 and count(db, Case) == 0
    assert optout_count(db) == events_before
    assert tracker.senders() == {ids["other"]}
    with db.session() as s:
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "privacy_erase")).one()
        assert NUMBER not in json.dumps(audit.detail) + audit.target
        # The register still says what the resident chose.
        subject = optout.pseudonym(app.extensions["settings"].optout_hmac_key, "address", NUMBER)
        assert optout.current_choices(s, [subject]) == {"call_recording"}


def test_erase_asks_first(app, router, fake_rasa, db):
    ids = _resident_with_history(router, fake_rasa, db)
    result = run(app, "erase", "--phone", NUMBER, input="n\n")
    assert result.exit_code == 1 and "Aborted" in result.output
    assert exists(db, ids["call"])
    result = run(app, "erase", "--phone", NUMBER, input="y\n")
    assert result.exit_code == 0 and not exists(db, ids["call"])


def test_erase_by_callback_number_from_a_web_chat(app, router, db):
    web = router.start("web", session_key="browser-3")
    router.handle(web, "hello")
    router.request_callback(web, phone=OTHER, preferred_time=None)
    privacy.erase(db, privacy.SubjectRef.from_request("test-optout-key", phone=OTHER))
    assert not exists(db, web)


# --- training export --------------------------------------------------------------------------


def _training_set(router, fake_rasa, db):
    fake_rasa.reply_to("when is my bin day", [{"text": "Tuesday."}], intent="bin_day")
    fake_rasa.reply_to("blah blah", [{"text": "Sorry?"}], intent="nlu_fallback")
    fake_rasa.reply_to("keep my data out of it", [
        {"text": "Understood."}, {"custom": {"opt_out": {"scope": "data_use"}}}],
        intent="opt_out_data")
    kept = router.start("web", session_key="a")
    router.handle(kept, "when is my bin day")
    router.handle(kept, "blah blah")
    router.handle(kept, "call me on 07700 900123")
    # Opted out in the conversation.
    flagged = router.start("sms", address=NUMBER)
    router.handle(flagged, "keep my data out of it")
    router.handle(flagged, "SECRET-FLAGGED when is my bin day")
    # An earlier conversation of the same resident, from before they opted out.
    with db.session() as s:
        s.add(Conversation(id="earlier-conv", channel="phone", state="closed",
                           subject=optout.pseudonym("test-optout-key", "address", NUMBER),
                           created_at=ago(5), updated_at=ago(5)))
        s.add(Message(conversation_id="earlier-conv", sender="resident",
                      text="SECRET-EARLIER bins please", intent="bin_day"))
    # A conversation where the resident opted out then withdrew: their choice now is to share.
    changed = router.start("web", session_key="b")
    router.record_choice(changed, "data_use", "opt_out", method="button")
    router.record_choice(changed, "data_use", "withdraw", method="button")
    router.handle(changed, "when is my bin day")
    return kept, flagged


def test_export_training_leaves_out_data_use_opt_outs(app, router, fake_rasa, db, tmp_path):
    _training_set(router, fake_rasa, db)
    out = tmp_path / "nlu.yml"
    result = run(app, "export-training", "--output", str(out))
    assert result.exit_code == 0, result.output
    content = out.read_text()
    assert "SECRET" not in content and "keep my data" not in content
    data = yaml.safe_load(content)
    assert data["version"] == "3.1"
    examples = {item["intent"]: item["examples"] for item in data["nlu"]}
    assert set(examples) == {"bin_day", "out_of_scope"}
    assert examples["bin_day"] == "- when is my bin day\n"  # duplicates dropped
    assert examples["out_of_scope"] == "- call me on [redacted: phone]\n"
    assert "left out 2 conversations" in result.output


def test_export_training_as_text_with_fallbacks(app, router, fake_rasa, db):
    _training_set(router, fake_rasa, db)
    export = privacy.export_training(db, fmt="text")
    assert export.text.splitlines() == ["when is my bin day", "blah blah",
                                        "call me on [redacted: phone]"]
    yaml_export = privacy.export_training(db, include_fallback=True)
    assert "- intent: nlu_fallback" in yaml_export.text
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(OptOutEvent)) == 3
