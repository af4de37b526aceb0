"""Digital inclusion: a resident who cannot get online is asked before anything is noted, is
offered Tea and Tech, a device to borrow or a call back, and always has a person on offer."""

from __future__ import annotations

import pytest
from rasa_sdk.events import ActiveLoop, SlotSet
from sqlalchemy import select

from bot.actions.inclusion import (
    ActionInclusionCallback,
    ActionInclusionHelp,
    ActionInclusionStart,
    ValidateDigitalInclusionForm,
    consent_of,
    help_of,
    need_of,
)
from storage.models import Conversation, DigitalInclusionNeed
from tests.bot.conftest import make_tracker, responses, run, signals

FORM = "digital_inclusion_form"


def rows(db) -> list[tuple]:
    with db.session() as s:
        return [(r.channel, r.need, r.offer, r.conversation_id)
                for r in s.scalars(select(DigitalInclusionNeed).order_by(DigitalInclusionNeed.id))]


def conversation(db, cid: str = "conv-1", channel: str = "web") -> str:
    with db.session() as s:
        s.add(Conversation(id=cid, channel=channel, state="bot"))
    return cid


def answer(dispatcher, domain, text, intent, requested, slots=None, channel="webchat"):
    tracker = make_tracker(text, intent, active_loop=FORM, channel=channel,
                           slots={"requested_slot": requested, **(slots or {})},
                           candidates={requested: text})
    events = run(ValidateDigitalInclusionForm(), dispatcher, tracker, domain)
    return {e["name"]: e["value"] for e in events if e["name"] != "requested_slot"}


@pytest.mark.parametrize(("text", "need"), [
    ("I haven't got a computer", "no_device"),
    ("i dont have a smartphone", "no_device"),
    ("my laptop is broken", "no_device"),
    ("my laptop broke last week", "no_device"),
    ("I cannot use a computer", "no_skills"),
    ("we've got no wifi in the house", "no_internet"),
    ("I'm not online", "no_internet"),
    ("I can't afford broadband", "cannot_afford"),
    ("no money for the internet", "cannot_afford"),
    ("I can't use a smartphone", "no_skills"),
    ("I don't know how to use computers", "no_skills"),
    ("I can't work my tablet", "no_skills"),
    ("I can't get online", "other"),  # could be any of them: not guessed
    ("it's all too much", "other"),
])
def test_the_need_is_read_from_the_residents_words(text, need):
    assert need_of(text) == need


@pytest.mark.parametrize(("text", "intent", "agreed"), [
    ("yes", "affirm", True), ("YES", None, True), ("/affirm", "affirm", True),
    ("go on then", None, True), ("I don't mind", "deny", True), ("no problem", None, True),
    ("no", "deny", False), ("NO", None, False), ("I'd rather not", None, False),
    ("/deny", "deny", False), ("banana", None, None),
])
def test_consent_is_a_clear_yes_or_no(text, intent, agreed):
    assert consent_of(text, intent) is agreed


@pytest.mark.parametrize(("text", "choice"), [
    ("Tea and Tech", "tea_and_tech"), ("TEA", "tea_and_tech"),
    ("I'd like lessons at the library", "tea_and_tech"),
    ("borrow a tablet or laptop", "device_lending"), ("BORROW", "device_lending"),
    ("call me back", "callback"), ("CALL", "callback"), ("can someone ring me", "callback"),
    ("no thanks", "none"), ("NO", "none"), ("what", None),
])
def test_the_help_chosen_is_understood(text, choice):
    assert help_of(text, None) == choice


def test_start_notes_the_need_and_asks_afresh(dispatcher, domain):
    tracker = make_tracker("i haven't got a computer", "cannot_get_online",
                           slots={"inclusion_help": "none", "inclusion_consent": False})
    events = run(ActionInclusionStart(), dispatcher, tracker, domain)
    assert events == [SlotSet("inclusion_need", "no_device"), SlotSet("inclusion_consent", None),
                      SlotSet("inclusion_help", None)]
    assert dispatcher.messages == []


def test_start_does_not_ask_or_count_twice_once_noted(dispatcher, domain):
    tracker = make_tracker("i still cant get online", "cannot_get_online",
                           slots={"inclusion_record": 7})
    events = run(ActionInclusionStart(), dispatcher, tracker, domain)
    assert SlotSet("inclusion_consent", True) in events


def test_a_note_already_made_is_kept_when_the_form_starts(bot_db, dispatcher, domain):
    """At activation the form validates the consent action_inclusion_start carried over: it
    must not be read from the new message ("i still cant get online") or noted again."""
    tracker = make_tracker("i still cant get online", "cannot_get_online", active_loop=None,
                           slots={"inclusion_record": 7}, candidates={"inclusion_consent": True})
    events = run(ValidateDigitalInclusionForm(), dispatcher, tracker, domain)
    assert SlotSet("inclusion_consent", True) in events
    assert dispatcher.messages == []
    assert rows(bot_db) == []


def test_the_question_asks_plainly_and_offers_a_person(domain):
    variations = domain["responses"]["utter_ask_inclusion_consent"]
    web = variations[0]
    assert "May we make a note" in web["text"] and "not have your name" in web["text"]
    assert [b["title"] for b in web["buttons"]] == ["Yes", "No", "Talk to a person"]
    phone = next(v for v in variations if v.get("channel") == "phone")
    sms = next(v for v in variations if v.get("channel") == "sms")
    assert "Say yes or no" in phone["text"] and "person" in phone["text"]
    assert "Reply YES or NO" in sms["text"] and "PERSON" in sms["text"]


def test_yes_notes_the_need_with_codes_only(bot_db, dispatcher, domain):
    cid = conversation(bot_db, channel="sms")
    slots = {"inclusion_need": "no_device"}
    result = answer(dispatcher, domain, "YES", "affirm", "inclusion_consent", slots,
                    channel="sms")
    assert result["inclusion_consent"] is True
    assert isinstance(result["inclusion_record"], int)
    assert responses(dispatcher) == ["utter_inclusion_noted"]
    assert rows(bot_db) == [("sms", "no_device", "none", cid)]


def test_no_notes_nothing(bot_db, dispatcher, domain):
    conversation(bot_db)
    result = answer(dispatcher, domain, "no", "deny", "inclusion_consent",
                    {"inclusion_need": "no_internet"})
    assert result == {"inclusion_consent": False}
    assert responses(dispatcher) == ["utter_inclusion_not_noted"]
    assert rows(bot_db) == []


def test_an_unclear_answer_is_asked_again_and_notes_nothing(bot_db, dispatcher, domain):
    result = answer(dispatcher, domain, "what's that for", None, "inclusion_consent")
    assert result == {"inclusion_consent": None}
    assert responses(dispatcher) == ["utter_inclusion_unclear"]
    assert rows(bot_db) == []


def test_stop_leaves_the_questions_and_notes_nothing(bot_db, dispatcher, domain):
    result = answer(dispatcher, domain, "stop", None, "inclusion_consent")
    assert result == {"inclusion_consent": None, "inclusion_help": None}
    assert rows(bot_db) == []


def test_a_failed_note_is_owned_up_to_and_the_help_still_offered(bot_db, dispatcher, domain,
                                                                 monkeypatch):
    from sqlalchemy.exc import OperationalError

    import bot.actions.inclusion as inclusion

    def broken(*args, **kwargs):
        raise OperationalError("insert", {}, Exception("database is locked"))

    monkeypatch.setattr(inclusion, "note_need", broken)
    result = answer(dispatcher, domain, "yes", "affirm", "inclusion_consent")
    assert result == {"inclusion_consent": True}  # on to the help question
    assert responses(dispatcher) == ["utter_inclusion_note_failed"]


@pytest.mark.parametrize(("text", "choice"), [
    ("Tea and Tech", "tea_and_tech"), ("no thanks", "none"), ("call me back", "callback"),
])
def test_the_help_question_takes_the_choice(dispatcher, domain, text, choice):
    assert answer(dispatcher, domain, text, None, "inclusion_help") == {"inclusion_help": choice}


def test_the_help_question_asks_again_when_unclear(dispatcher, domain):
    assert answer(dispatcher, domain, "maybe", None, "inclusion_help") == {"inclusion_help": None}
    assert responses(dispatcher) == ["utter_inclusion_unclear"]


def _noted(db, cid="conv-1", channel="web", need="no_skills") -> int:
    from services.inclusion import note_need

    return note_need(db, channel=channel, need=need, conversation_id=cid)


@pytest.mark.parametrize(("choice", "response"), [
    ("tea_and_tech", "utter_inclusion_tea_and_tech"),
    ("device_lending", "utter_inclusion_device_lending"),
    ("none", "utter_inclusion_no_help"),
])
def test_the_chosen_help_is_given_and_counted(bot_db, dispatcher, domain, choice, response):
    cid = conversation(bot_db)
    record = _noted(bot_db, cid)
    tracker = make_tracker("x", None, slots={"inclusion_help": choice, "inclusion_consent": True,
                                             "inclusion_record": record})
    events = run(ActionInclusionHelp(), dispatcher, tracker, domain)
    assert responses(dispatcher) == [response]
    assert signals(dispatcher) == []
    assert events == [SlotSet("inclusion_consent", None), SlotSet("inclusion_help", None)]
    assert rows(bot_db) == [("web", "no_skills", choice, cid)]


@pytest.mark.parametrize("name", ["utter_inclusion_tea_and_tech",
                                  "utter_inclusion_device_lending", "utter_inclusion_no_help",
                                  "utter_inclusion_stopped"])
def test_every_answer_offers_a_person(domain, name):
    person = {"title": "Talk to a person", "payload": "/request_human"}
    for variation in domain["responses"][name]:
        if variation.get("channel") == "phone":
            assert "say 'person'" in variation["text"]
        elif variation.get("channel") == "sms":
            assert "reply PERSON" in variation["text"]
        else:
            assert person in variation["buttons"] and "talk to a person" in variation["text"]


def test_help_without_a_note_counts_nothing(bot_db, dispatcher, domain):
    tracker = make_tracker("x", None, slots={"inclusion_help": "tea_and_tech",
                                             "inclusion_consent": False})
    run(ActionInclusionHelp(), dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_inclusion_tea_and_tech"]
    assert rows(bot_db) == []


def test_a_call_back_hands_over_to_the_digital_inclusion_team(bot_db, dispatcher, domain):
    cid = conversation(bot_db, channel="phone")
    record = _noted(bot_db, cid, channel="phone", need="no_device")
    tracker = make_tracker("call me back", None, channel="phone",
                           slots={"inclusion_help": "callback", "inclusion_consent": True,
                                  "inclusion_record": record, "inclusion_need": "no_device"})
    run(ActionInclusionHelp(), dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_inclusion_callback", None]
    [signal] = signals(dispatcher)
    handoff = signal["handoff"]
    assert (handoff["reason"], handoff["priority"]) == ("requested", 3)
    assert handoff["summary"]["team"] == "digital_inclusion"
    assert handoff["summary"]["topic"] == "digital inclusion"
    assert rows(bot_db) == [("phone", "no_device", "callback", cid)]
    said = domain["responses"]["utter_inclusion_callback"][0]["text"]
    assert "digital inclusion team" in said and "call you back" in said


def test_stopped_before_choosing_keeps_the_note_without_help(bot_db, dispatcher, domain):
    cid = conversation(bot_db)
    record = _noted(bot_db, cid)
    tracker = make_tracker("stop", None, slots={"inclusion_help": None, "inclusion_consent": True,
                                                "inclusion_record": record})
    run(ActionInclusionHelp(), dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_inclusion_stopped"]
    assert rows(bot_db) == [("web", "no_skills", "none", cid)]


def test_person_during_the_questions_goes_to_the_team_and_leaves_the_form(bot_db, dispatcher,
                                                                          domain):
    cid = conversation(bot_db)
    record = _noted(bot_db, cid)
    tracker = make_tracker("can i talk to someone", "request_human", active_loop=FORM,
                           slots={"requested_slot": "inclusion_help", "inclusion_consent": True,
                                  "inclusion_record": record})
    events = run(ActionInclusionCallback(), dispatcher, tracker, domain)
    assert signals(dispatcher)[0]["handoff"]["summary"]["team"] == "digital_inclusion"
    assert events[:2] == [ActiveLoop(None), SlotSet("requested_slot", None)]
    assert rows(bot_db) == [("web", "no_skills", "callback", cid)]


def test_a_record_from_another_conversation_is_never_changed(bot_db, dispatcher, domain):
    other = conversation(bot_db, "conv-2")
    record = _noted(bot_db, other)
    conversation(bot_db, "conv-1")
    tracker = make_tracker("x", None, slots={"inclusion_help": "callback",
                                             "inclusion_record": record})
    run(ActionInclusionHelp(), dispatcher, tracker, domain)
    assert rows(bot_db) == [("web", "no_skills", "none", other)]
