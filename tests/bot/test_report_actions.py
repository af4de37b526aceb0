"""The report form (missed bin, pothole, fly-tipping, street light): validation, corrections,
stop, and a real case created with a unique HC-nnnnnn reference."""

from __future__ import annotations

import re

import pytest
from rasa_sdk.events import SlotSet
from sqlalchemy import select

from bot.actions.reports import ActionSubmitReport, ValidateReportForm, contact_choice
from storage.models import Case
from tests.bot.conftest import make_tracker, responses, run, signals

FILLED = {
    "report_kind": "pothole",
    "location": "Kings Acre Road by the school",
    "details": "A deep hole in the road",
    "contact_preference": "email",
}
CLEARED = [
    SlotSet(name, None)
    for name in ("location", "details", "contact_preference", "report_confirmed", "report_change")
]


def validate(
    dispatcher, domain, text, intent, requested, value=None, slots=None, entities=None, extra=None
):
    candidates = {requested: text if value is None else value} | (extra or {})
    tracker = make_tracker(
        text,
        intent,
        active_loop="report_form",
        entities=entities,
        slots={"requested_slot": requested, **(slots or {})},
        candidates=candidates,
    )
    return {e["name"]: e["value"] for e in run(ValidateReportForm(), dispatcher, tracker, domain)}


def test_location_needs_a_postcode_or_a_few_words(dispatcher, domain):
    assert validate(dispatcher, domain, "HR1 2AB", "inform", "location") == {
        "location": "HR1 2AB",
        "report_change": None,
    }
    assert (
        validate(dispatcher, domain, "outside  the co-op on Commercial Road", "inform", "location")[
            "location"
        ]
        == "outside the co-op on Commercial Road"
    )
    assert validate(dispatcher, domain, "there", "inform", "location") == {"location": None}
    assert responses(dispatcher) == ["utter_location_too_short"]


def test_details_are_kept_as_said(dispatcher, domain):
    assert validate(
        dispatcher, domain, "massive hole, cars swerving", "report_pothole", "details", slots=FILLED
    ) == {"details": "massive hole, cars swerving", "report_change": None}


@pytest.mark.parametrize(
    ("text", "choice"),
    [
        ("email", "email"),
        ("e-mail me please", "email"),
        ("text message", "text message"),
        ("TEXT", "text message"),
        ("ring me", "phone"),
        ("phone", "phone"),
        ("no updates", "no updates"),
        ("NONE", "no updates"),
        ("no thanks", "no updates"),
        ("purple", None),
    ],
)
def test_contact_choices(text, choice):
    assert contact_choice(text) == choice


def test_no_thanks_to_updates_is_an_answer_not_a_stop(dispatcher, domain):
    assert validate(
        dispatcher, domain, "no thanks", "deny", "contact_preference", slots=FILLED
    ) == {"contact_preference": "no updates", "report_change": None}


def test_unclear_contact_preference_asks_again(dispatcher, domain):
    assert (
        validate(dispatcher, domain, "purple", "inform", "contact_preference", slots=FILLED)[
            "contact_preference"
        ]
        is None
    )
    assert responses(dispatcher) == ["utter_contact_preference_invalid"]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("yes", "affirm"),
        ("/affirm", "affirm"),
        ("send it", "out_of_scope"),
        ("that's right thanks", "thank"),
    ],
)
def test_yes_confirms(dispatcher, domain, text, intent):
    assert validate(dispatcher, domain, text, intent, "report_confirmed", slots=FILLED) == {
        "report_confirmed": True,
        "report_change": None,
    }


@pytest.mark.parametrize(
    ("text", "cleared"),
    [
        ("change the place", "location"),
        ("no the address is wrong", "location"),
        ("change the details", "details"),
        ("change the contact", "contact_preference"),
    ],
)
def test_corrections_clear_one_part_to_be_asked_again(dispatcher, domain, text, cleared):
    result = validate(dispatcher, domain, text, "inform", "report_confirmed", slots=FILLED)
    assert result == {"report_confirmed": None, cleared: None, "report_change": None}


def test_text_me_instead_changes_the_preference_directly(dispatcher, domain):
    assert validate(
        dispatcher, domain, "actually text me instead", "inform", "report_confirmed", slots=FILLED
    ) == {"report_confirmed": None, "contact_preference": "text message", "report_change": None}


def test_a_postcode_at_the_check_step_replaces_the_place(dispatcher, domain):
    result = validate(
        dispatcher,
        domain,
        "actually its HR2 7JF",
        "inform",
        "report_confirmed",
        slots=FILLED,
        extra={"location": "HR2 7JF"},
        entities=[{"entity": "postcode", "value": "HR2 7JF"}],
    )
    assert result == {"location": "HR2 7JF", "report_confirmed": None, "report_change": None}


def test_no_at_the_check_step_asks_what_to_change(dispatcher, domain):
    assert validate(dispatcher, domain, "no", "deny", "report_confirmed", slots=FILLED) == {
        "report_confirmed": None,
        "report_change": True,
    }
    variations = domain["responses"]["utter_ask_report_confirmed"]
    assert variations[0]["condition"] == [{"type": "slot", "name": "report_change", "value": True}]
    assert "What would you like to change" in variations[0]["text"]


@pytest.mark.parametrize(
    "requested", ["location", "details", "contact_preference", "report_confirmed"]
)
def test_stop_leaves_the_report_at_any_question(dispatcher, domain, requested):
    result = validate(dispatcher, domain, "stop", "deny", requested, slots=FILLED)
    assert result == {
        "location": None,
        "details": None,
        "contact_preference": None,
        "report_confirmed": None,
        "report_change": None,
        "requested_slot": None,
    }


def test_submit_creates_a_case_with_a_unique_reference(bot_db, dispatcher, domain):
    tracker = make_tracker(
        "yes", "affirm", slots=FILLED | {"report_confirmed": True}, sender_id="conv-42"
    )
    events = run(ActionSubmitReport(), dispatcher, tracker, domain)
    message = dispatcher.messages[0]
    assert message["response"] == "utter_report_created"
    reference = message["reference"]
    assert re.fullmatch(r"HC-[1-9][0-9]{5}", reference)
    digits = reference[3:]
    assert message["reference_spoken"] == f"H C, {' '.join(digits[:3])}, {' '.join(digits[3:])}"
    assert events == CLEARED + [SlotSet("case_reference", reference)]
    with bot_db.session() as s:
        case = s.scalars(select(Case).where(Case.reference == reference)).one()
        assert (
            case.kind,
            case.location,
            case.details,
            case.contact_preference,
            case.status,
            case.conversation_id,
            case.sample,
        ) == (
            "pothole",
            "Kings Acre Road by the school",
            "A deep hole in the road",
            "email",
            "Received",
            "conv-42",
            False,
        )


def test_submit_stores_the_postcode_from_the_place(bot_db, dispatcher, domain):
    slots = FILLED | {
        "report_kind": "missed_bin",
        "location": "14 Grenfell Road hr1 2qr",
        "report_confirmed": True,
    }
    run(ActionSubmitReport(), dispatcher, make_tracker(slots=slots), domain)
    with bot_db.session() as s:
        case = s.scalars(
            select(Case).where(Case.reference == dispatcher.messages[0]["reference"])
        ).one()
        assert (case.kind, case.postcode) == ("missed_bin", "HR1 2QR")


def test_submit_after_stop_sends_nothing(bot_db, dispatcher, domain):
    events = run(
        ActionSubmitReport(), dispatcher, make_tracker(slots={"report_kind": "pothole"}), domain
    )
    assert responses(dispatcher) == ["utter_report_stopped"]
    assert events == CLEARED
    with bot_db.session() as s:
        assert s.scalars(select(Case).where(Case.sample.is_(False))).all() == []


def test_submit_when_the_database_fails_hands_over(dispatcher, domain, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    events = run(
        ActionSubmitReport(),
        dispatcher,
        make_tracker(slots=FILLED | {"report_confirmed": True}),
        domain,
    )
    assert responses(dispatcher) == ["utter_system_failure", None]
    assert signals(dispatcher)[0]["handoff"]["reason"] == "system_failure"
    assert events == CLEARED
