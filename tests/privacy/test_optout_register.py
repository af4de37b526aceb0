"""The opt-out register: choices are recorded, honoured on every channel, and never changed."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, text, update

from privacy import register as optout
from privacy.data_rights import SubjectRef, erase, purge
from storage.models import AppendOnlyViolation, Conversation, HandoffTicket, OptOutEvent, utcnow
from tests.privacy.conftest import optout_count

NUMBER = "07700 900123"
OPT_OUT_WORDS = "i dont want a robot"


def script_opt_out(fake_rasa, scope: str = "automated_assistant", words: str = OPT_OUT_WORDS,
                   handoff: bool = False, heard: str | None = None) -> None:
    """Rasa answers `heard` (what the router sends it: redacted) with an opt-out signal that
    quotes `words`."""
    messages = [{"text": "That is fine. I will remember that."},
                {"custom": {"opt_out": {"scope": scope, "utterance": words}}}]
    if handoff:
        messages.append({"custom": {"handoff": {"reason": "opt_out"}}})
    fake_rasa.reply_to(heard or words, messages, intent="opt_out_automation")


def events(db) -> list[OptOutEvent]:
    with db.session() as s:
        return list(s.scalars(select(OptOutEvent).order_by(OptOutEvent.id)))


def ticket_reasons(db, conv_id: str) -> list[str]:
    with db.session() as s:
        return list(s.scalars(select(HandoffTicket.reason)
                              .where(HandoffTicket.conversation_id == conv_id)))


# --- honoured everywhere -----------------------------------------------------------------------


def test_voice_opt_out_is_honoured_on_the_next_call_and_by_sms(router, fake_rasa, db):
    script_opt_out(fake_rasa)
    first = router.start("phone", address=NUMBER, call_sid="CA-first")
    result = router.handle(first, OPT_OUT_WORDS, method="speech")
    assert [c.scope for c in result.recorded_choices] == ["automated_assistant"]
    assert len(fake_rasa.calls) == 1

    # The next call, from the same number as Twilio writes it: no assistant, straight to people.
    second = router.start("phone", address="+447700900123", call_sid="CA-second")
    result = router.handle(second, "when is my bin day", method="speech")
    assert len(fake_rasa.calls) == 1
    assert result.state == "waiting" and result.handoff_reason == "opt_out"
    assert ticket_reasons(db, second) == ["opt_out"]
    assert "straight to a person" in result.replies[0].text

    # A text from that number: the same.
    thread = router.sms_thread("+447700900123")
    result = router.handle(thread, "bin day?")
    assert len(fake_rasa.calls) == 1
    assert result.state == "waiting" and ticket_reasons(db, thread) == ["opt_out"]


def test_the_event_holds_everything_the_register_needs(router, fake_rasa, db, settings):
    words = "no robots please, my number is 07700 900999"
    script_opt_out(fake_rasa, words=words,
                   heard="no robots please, my number is [redacted: phone]")
    conv = router.start("phone", address=NUMBER, call_sid="CA1")
    before = utcnow()
    router.handle(conv, words, method="keypad")
    [event] = events(db)
    assert event.subject == optout.pseudonym(settings.optout_hmac_key, "address", NUMBER)
    assert len(event.subject) == 64 and "7700" not in event.subject
    assert (event.scope, event.action, event.channel, event.method) == (
        "automated_assistant", "opt_out", "phone", "keypad")
    assert event.notice_version == settings.data_notice_version
    assert event.conversation_id == conv
    # The resident's words, redacted (the bot echoed them raw in its signal).
    assert event.utterance == "no robots please, my number is [redacted: phone]"
    # Stored as naive UTC.
    assert before - timedelta(seconds=1) <= event.at <= utcnow() + timedelta(seconds=1)


def test_web_chat_opt_out_is_honoured_for_the_identified_resident(router, fake_rasa, db):
    script_opt_out(fake_rasa, handoff=True)
    web = router.start("web", session_key="browser-session-1")
    router.identify(web, NUMBER)
    result = router.handle(web, OPT_OUT_WORDS)
    assert result.state == "waiting"
    calls = len(fake_rasa.calls)

    phone = router.start("phone", address="+44 7700 900123", call_sid="CA9")
    result = router.handle(phone, "hello")
    assert len(fake_rasa.calls) == calls
    assert result.handoff_reason == "opt_out" and ticket_reasons(db, phone) == ["opt_out"]

    # Another web session where the resident gives the same number: also straight to people.
    other = router.start("web", session_key="browser-session-2")
    router.identify(other, "07700900123")
    assert router.handle(other, "hi").handoff_reason == "opt_out"
    assert len(fake_rasa.calls) == calls


def test_an_opt_out_made_before_identifying_follows_the_resident(router, fake_rasa, db):
    script_opt_out(fake_rasa)
    web = router.start("web", session_key="browser-session-1")
    router.handle(web, OPT_OUT_WORDS)
    router.identify(web, "Jo.Bloggs@Example.com")
    carried = events(db)[-1]
    assert (carried.scope, carried.action, carried.method) == ("automated_assistant", "opt_out",
                                                                "text")
    # A later web chat where they give the same email (any case) skips the assistant.
    later = router.start("web", session_key="another-browser")
    router.identify(later, "jo.bloggs@example.com")
    calls = len(fake_rasa.calls)
    assert router.handle(later, "hello").handoff_reason == "opt_out"
    assert len(fake_rasa.calls) == calls


def test_an_unidentified_web_visitor_is_not_matched_to_anyone_else(router, fake_rasa):
    script_opt_out(fake_rasa)
    web = router.start("web", session_key="browser-session-1")
    router.handle(web, OPT_OUT_WORDS)
    stranger = router.start("web", session_key="browser-session-2")
    assert router.handle(stranger, "hello").state == "bot"
    # The same browser session is recognised.
    again = router.start("web", session_key="browser-session-1")
    assert router.handle(again, "hello").handoff_reason == "opt_out"


def test_a_conversation_without_any_identity_still_keeps_its_choice(router, fake_rasa):
    script_opt_out(fake_rasa)
    conv = router.start("web")
    router.handle(conv, OPT_OUT_WORDS)
    assert router.choices(conv) == {"automated_assistant"}
    calls = len(fake_rasa.calls)
    assert router.handle(conv, "hello again").handoff_reason == "opt_out"
    assert len(fake_rasa.calls) == calls


def test_withdrawal_restores_the_assistant(router, fake_rasa, db):
    script_opt_out(fake_rasa)
    first = router.start("phone", address=NUMBER, call_sid="CA1")
    router.handle(first, OPT_OUT_WORDS, method="speech")

    # By text: the SMS channel (or an advisor) records the withdrawal for this number.
    thread = router.sms_thread(NUMBER)
    router.record_choice(thread, "automated_assistant", "withdraw", method="text",
                         utterance="I'd like to use the assistant again")
    assert router.choices(thread) == set()
    calls = len(fake_rasa.calls)
    result = router.handle(thread, "when is my bin day")
    assert len(fake_rasa.calls) == calls + 1 and result.state == "bot"

    # And on the phone.
    call = router.start("phone", address=NUMBER, call_sid="CA2")
    assert router.handle(call, "hello", method="speech").state == "bot"
    assert [(e.action, e.channel) for e in events(db)] == [("opt_out", "phone"),
                                                         ("withdraw", "sms")]


def test_a_bot_withdrawal_signal_is_recorded(router, fake_rasa, db):
    fake_rasa.reply_to("you can record my calls again", [
        {"text": "Thanks, I have noted that."},
        {"custom": {"withdraw": {"scope": "call_recording"}}},
    ])
    conv = router.start("phone", address=NUMBER, call_sid="CA1")
    router.record_choice(conv, "call_recording", "opt_out", method="keypad")
    assert router.choices(conv) == {"call_recording"}
    router.handle(conv, "you can record my calls again", method="speech")
    assert router.choices(conv) == set()
    assert [e.method for e in events(db)] == ["keypad", "speech"]


def test_the_latest_event_per_scope_wins(db):
    with db.session() as s:
        for scope, action in [("sms", "opt_out"), ("data_use", "opt_out"), ("sms", "withdraw"),
                              ("call_recording", "opt_out"), ("sms", "opt_out"),
                              ("call_recording", "withdraw")]:
            optout.record(s, subject="a" * 64, scope=scope, action=action, channel="sms",
                          method="text", notice_version="v1", conversation_id=None,
                          utterance=None)
    with db.session() as s:
        assert optout.current_choices(s, ["a" * 64, None]) == {"sms", "data_use"}
        assert optout.current_choices(s, ["b" * 64]) == set()
        assert optout.current_choices(s, [None]) == set()
        assert optout.has_opted_out(s, ["a" * 64], "sms")
        assert not optout.has_opted_out(s, ["a" * 64], "call_recording")
        assert [e.scope for e in optout.history(s, "a" * 64)][:2] == ["sms", "data_use"]


def test_a_standing_data_use_opt_out_covers_later_conversations(router, fake_rasa, db):
    script_opt_out(fake_rasa, scope="data_use", words="dont keep my data")
    first = router.start("sms", address=NUMBER)
    router.handle(first, "dont keep my data")
    later = router.start("phone", address=NUMBER, call_sid="CA2")
    router.handle(later, "what day are the bins")
    with db.session() as s:
        assert s.get(Conversation, first).data_use_opt_out
        assert s.get(Conversation, later).data_use_opt_out
    # Rasa is told, so the voice channel and actions can keep to it too.
    assert fake_rasa.calls[-1]["metadata"]["opted_out"] == ["data_use"]


def test_residents_can_ask_what_we_hold(router, fake_rasa):
    fake_rasa.reply_to("what have you got on me", [{"custom": {"choices": True}}])
    conv = router.start("sms", address=NUMBER)
    router.record_choice(conv, "sms", "opt_out", method="text")
    result = router.handle(conv, "what have you got on me")
    assert result.replies[-1].text == (
        "You have asked not to get text messages from us. "
        "We will keep to this until you tell us otherwise.")


@pytest.mark.parametrize("written", ["07700 900123", "+44 7700 900123", "0044 7700 900123",
                                     "+44 (0)7700 900123", "(07700) 900-123", "+447700900123"])
def test_every_way_of_writing_a_number_is_one_subject(written):
    assert optout.normalise_address(written) == "+447700900123"
    assert optout.pseudonym("k", "address", written) == optout.pseudonym("k", "address",
                                                                         "+447700900123")


def test_pseudonyms_are_keyed():
    assert optout.pseudonym("key-1", "address", NUMBER) != optout.pseudonym("key-2", "address",
                                                                            NUMBER)
    assert optout.pseudonym("k", "web", "abc") != optout.pseudonym("k", "address", "abc")
    with pytest.raises(ValueError):
        optout.pseudonym("", "address", NUMBER)


@pytest.mark.parametrize("field,value", [("scope", "marketing"), ("action", "delete"),
                                         ("method", "telepathy"), ("channel", "fax"),
                                         ("notice_version", ""), ("subject", "")])
def test_record_refuses_bad_events(db, field, value):
    args = dict(subject="a" * 64, scope="sms", action="opt_out", channel="sms", method="text",
                notice_version="v1", conversation_id=None, utterance=None)
    args[field] = value
    with db.session() as s, pytest.raises(ValueError):
        optout.record(s, **args)


# --- append-only ---------------------------------------------------------------------------------


@pytest.fixture
def one_event(db) -> int:
    with db.session() as s:
        return optout.record(s, subject="a" * 64, scope="automated_assistant", action="opt_out",
                             channel="phone", method="speech", notice_version="v1",
                             conversation_id=None, utterance="no robots").id


def _unchanged(db, event_id: int) -> None:
    with db.session() as s:
        event = s.get(OptOutEvent, event_id)
        assert event is not None and event.action == "opt_out"
        assert event.utterance == "no robots"


def test_orm_update_is_refused(db, one_event):
    with pytest.raises(AppendOnlyViolation), db.session() as s:
        s.get(OptOutEvent, one_event).action = "withdraw"
        s.flush()
    _unchanged(db, one_event)


def test_orm_delete_is_refused(db, one_event):
    with pytest.raises(AppendOnlyViolation), db.session() as s:
        s.delete(s.get(OptOutEvent, one_event))
        s.flush()
    _unchanged(db, one_event)


def test_bulk_update_is_refused_by_the_database(db, one_event):
    with pytest.raises(Exception, match="append-only"), db.session() as s:
        s.execute(update(OptOutEvent).values(action="withdraw")
                  .execution_options(synchronize_session=False))
    _unchanged(db, one_event)


def test_bulk_delete_is_refused_by_the_database(db, one_event):
    with pytest.raises(Exception, match="append-only"), db.session() as s:
        s.execute(delete(OptOutEvent).execution_options(synchronize_session=False))
    _unchanged(db, one_event)


@pytest.mark.parametrize("statement", [
    "UPDATE optout_events SET action = 'withdraw'",
    "UPDATE optout_events SET conversation_id = NULL WHERE id = 1",
    "DELETE FROM optout_events",
    "DELETE FROM optout_events WHERE id = 1",
])
def test_raw_sql_is_refused(db, one_event, statement):
    with pytest.raises(Exception, match="append-only"), db.engine.begin() as conn:
        conn.execute(text(statement))
    _unchanged(db, one_event)


def test_another_client_is_refused_too(db, one_event, database_url):
    conn = sqlite3.connect(database_url.removeprefix("sqlite:///"))
    try:
        for statement in ("UPDATE optout_events SET scope = 'sms'", "DELETE FROM optout_events"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                conn.execute(statement)
            conn.rollback()
    finally:
        conn.close()
    _unchanged(db, one_event)


def test_erase_and_purge_keep_the_register(router, fake_rasa, db, settings):
    script_opt_out(fake_rasa)
    conv = router.start("phone", address=NUMBER, call_sid="CA1")
    router.handle(conv, OPT_OUT_WORDS, method="speech")
    router.record_choice(conv, "data_use", "opt_out", method="speech")
    assert optout_count(db) == 2

    purge(db, days=1, data_use_days=1, now=utcnow() + timedelta(days=400))
    with db.session() as s:
        assert s.get(Conversation, conv) is None  # the transcript went
    erase(db, SubjectRef.from_request(settings.optout_hmac_key, phone=NUMBER))
    assert optout_count(db) == 2
    # And the choice is still honoured afterwards.
    again = router.start("phone", address=NUMBER, call_sid="CA2")
    assert router.handle(again, "hello").handoff_reason == "opt_out"
