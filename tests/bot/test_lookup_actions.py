"""Look-up actions against a real migrated SQLite database holding the sample data."""

from __future__ import annotations

import pytest
from rasa_sdk.events import FollowupAction, SlotSet

from bot.actions.bins import ActionBinCollectionDay, ValidateBinDayForm
from bot.actions.lookups import (
    ActionCaseStatus,
    ActionContactHours,
    ActionInform,
    ActionLibraryHours,
    ActionPlanningStatus,
    ValidateCaseStatusForm,
    ValidateLibraryForm,
    ValidatePlanningForm,
)
from tests.bot.conftest import make_tracker, responses, run, signals


def only(dispatcher) -> dict:
    assert len(dispatcher.messages) == 1, dispatcher.messages
    return dispatcher.messages[0]


def test_bin_days_for_a_sector_round_in_plain_words(bot_db, dispatcher, domain):
    tracker = make_tracker(slots={"postcode": "HR1 2AB"})
    events = run(ActionBinCollectionDay(), dispatcher, tracker, domain)
    message = only(dispatcher)
    assert message["response"] == "utter_bin_days"
    assert message["postcode"] == "HR1 2AB"
    assert message["collections"] == (
        "Green bin (recycling): Tuesday 1 December. Black bin (rubbish): Tuesday 8 December. "
        "Brown bin (garden waste): Tuesday 8 December. Each bin is emptied every 2 weeks."
    )
    assert events == [SlotSet("postcode", "HR1 2AB")]


def test_bin_days_full_postcode_round_wins_and_today_is_said(bot_db, dispatcher, domain):
    # HR2 6BA has its own round (Wednesday), HR2 6 is Friday, HR2 is Thursday (today).
    run(ActionBinCollectionDay(), dispatcher, make_tracker(slots={"postcode": "hr26ba"}), domain)
    assert only(dispatcher)["collections"].startswith(
        "Green bin (recycling): Wednesday 2 December."
    )
    dispatcher.messages.clear()
    run(ActionBinCollectionDay(), dispatcher, make_tracker(slots={"postcode": "HR2 9ZZ"}), domain)
    assert only(dispatcher)["collections"].startswith(
        "Green bin (recycling): today, Thursday 26 November."
    )


def test_bin_days_for_one_bin_type_asked_about(bot_db, dispatcher, domain):
    tracker = make_tracker(
        "when is the black bin collected",
        "bin_collection_day",
        entities=[{"entity": "bin_type", "value": "black bin"}],
        slots={"postcode": "HR1 2AB"},
    )
    run(ActionBinCollectionDay(), dispatcher, tracker, domain)
    assert (
        only(dispatcher)["collections"]
        == "Black bin (rubbish): Tuesday 8 December. It is emptied every 2 weeks."
    )


def test_bin_days_outside_our_area(bot_db, dispatcher, domain):
    events = run(
        ActionBinCollectionDay(), dispatcher, make_tracker(slots={"postcode": "SW1A 1AA"}), domain
    )
    assert (only(dispatcher)["response"], only(dispatcher)["postcode"]) == (
        "utter_bin_no_round",
        "SW1A 1AA",
    )
    assert events == [SlotSet("postcode", None)]


def test_bin_form_stopped_says_so(bot_db, dispatcher, domain):
    assert run(ActionBinCollectionDay(), dispatcher, make_tracker(), domain) == []
    assert responses(dispatcher) == ["utter_form_stopped"]


def test_bin_form_reads_a_postcode_in_a_sentence(dispatcher, domain):
    tracker = make_tracker(
        "its hr4 9ab love",
        "inform",
        active_loop="bin_day_form",
        slots={"requested_slot": "postcode"},
        candidates={"postcode": "its hr4 9ab love"},
    )
    assert run(ValidateBinDayForm(), dispatcher, tracker, domain) == [
        SlotSet("postcode", "HR4 9AB")
    ]
    assert dispatcher.messages == []


def test_bin_form_asks_again_for_something_that_is_not_a_postcode(dispatcher, domain):
    tracker = make_tracker(
        "the one by the pub",
        "inform",
        active_loop="bin_day_form",
        slots={"requested_slot": "postcode"},
        candidates={"postcode": "the one by the pub"},
    )
    assert run(ValidateBinDayForm(), dispatcher, tracker, domain) == [SlotSet("postcode", None)]
    assert responses(dispatcher) == ["utter_postcode_invalid"]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("stop", "deny"),
        ("cancel", "out_of_scope"),
        ("MENU", "inform"),
        ("no", "deny"),
        ("forget it thanks", "deny"),
        ("bye", "goodbye"),
    ],
)
def test_stop_or_no_leaves_the_form(dispatcher, domain, text, intent):
    tracker = make_tracker(
        text,
        intent,
        active_loop="bin_day_form",
        slots={"requested_slot": "postcode"},
        candidates={"postcode": text},
    )
    events = run(ValidateBinDayForm(), dispatcher, tracker, domain)
    assert events == [SlotSet("postcode", None), SlotSet("requested_slot", None)]


def test_a_long_message_classed_as_deny_is_still_an_answer(dispatcher, domain):
    text = "no its HR1 2AB not the other one"
    tracker = make_tracker(
        text,
        "deny",
        active_loop="bin_day_form",
        slots={"requested_slot": "postcode"},
        candidates={"postcode": text},
    )
    assert run(ValidateBinDayForm(), dispatcher, tracker, domain) == [
        SlotSet("postcode", "HR1 2AB")
    ]


def test_case_status_found(bot_db, dispatcher, domain):
    tracker = make_tracker(slots={"case_reference": "hc 100004", "case_proof": "hr9 7an"})
    events = run(ActionCaseStatus(), dispatcher, tracker, domain)
    message = only(dispatcher)
    assert {k: message[k] for k in ("response", "reference", "kind", "status", "note")} == {
        "response": "utter_case_status",
        "reference": "HC-100004",
        "kind": "street light fault",
        "status": "Work booked",
        "note": "An engineer will fix it within 10 working days.",
    }
    assert events == [SlotSet("case_reference", "HC-100004"), SlotSet("case_proof", None)]


@pytest.mark.parametrize("proof", [None, "", "HR1 1HR", "my postcode is HR9"])
def test_case_status_is_not_told_without_the_postcode_on_the_case(bot_db, dispatcher, domain,
                                                                  proof):
    tracker = make_tracker(slots={"case_reference": "HC-100004", "case_proof": proof})
    events = run(ActionCaseStatus(), dispatcher, tracker, domain)
    message = only(dispatcher)
    assert message["response"] == "utter_case_exists_unverified"
    assert "status" not in message and "note" not in message
    assert events == [SlotSet("case_reference", "HC-100004"), SlotSet("case_proof", None)]


def test_the_exists_reply_offers_a_person(domain):
    for variation in domain["responses"]["utter_case_exists_unverified"]:
        text = variation["text"].lower()
        assert "a case with that reference exists" in text
        assert "person" in text


def test_case_status_told_to_someone_giving_the_contact_details_on_the_case(
        bot_db, dispatcher, domain):
    from services.cases import create_case

    case = create_case(bot_db, kind="pothole", location="Kings Acre Road, Hereford",
                       contact_preference="email", contact_email="Sam@Example.org",
                       contact_phone="+447700900123")
    for proof in ("sam@example.org", "07700 900123", "+44 7700 900 123"):
        dispatcher.messages.clear()
        run(ActionCaseStatus(), dispatcher,
            make_tracker(slots={"case_reference": case.reference, "case_proof": proof}), domain)
        assert only(dispatcher)["response"] == "utter_case_status", proof


def test_case_status_not_found(bot_db, dispatcher, domain):
    events = run(
        ActionCaseStatus(), dispatcher, make_tracker(slots={"case_reference": "HC-999999"}), domain
    )
    assert (only(dispatcher)["response"], only(dispatcher)["reference"]) == (
        "utter_case_not_found",
        "HC-999999",
    )
    assert events == [SlotSet("case_reference", None), SlotSet("case_proof", None)]


def test_case_reference_validation(bot_db, dispatcher, domain):
    def validate(text: str) -> list:
        tracker = make_tracker(
            text,
            "inform",
            active_loop="case_status_form",
            slots={"requested_slot": "case_reference"},
            candidates={"case_reference": text},
        )
        return run(ValidateCaseStatusForm(), dispatcher, tracker, domain)

    # A case that exists: the form goes on to ask for the postcode or contact detail.
    assert validate("HC100004") == [SlotSet("case_reference", "HC-100004")]
    # No such case: nothing to prove, the form ends and the action says it was not found.
    assert validate("HC123456") == [
        SlotSet("case_reference", "HC-123456"), SlotSet("requested_slot", None)
    ]
    assert validate("dunno") == [SlotSet("case_reference", None)]
    assert responses(dispatcher) == ["utter_case_reference_invalid"]


def test_inform_with_a_bare_reference_asks_for_proof(bot_db, dispatcher, domain):
    tracker = make_tracker("HC-100001", "inform",
                           entities=[{"entity": "case_reference", "value": "HC-100001"}])
    events = run(ActionInform(), dispatcher, tracker, domain)
    assert dispatcher.messages == []
    assert events == [SlotSet("case_reference", "HC-100001"), SlotSet("case_proof", None),
                      FollowupAction("case_status_form")]


def test_planning_status_awaiting_and_decided(bot_db, dispatcher, domain):
    run(
        ActionPlanningStatus(),
        dispatcher,
        make_tracker(slots={"planning_reference": "p231456/f"}),
        domain,
    )
    message = only(dispatcher)
    assert (message["reference"], message["description"], message["address"]) == (
        "P231456/F",
        "Single storey rear extension",
        "12 Aylestone Hill, Hereford HR1 1HR",
    )
    assert (
        message["status"]
        == "Status: awaiting decision. We aim to decide by Friday 15 January 2027."
    )
    dispatcher.messages.clear()
    run(
        ActionPlanningStatus(),
        dispatcher,
        make_tracker(slots={"planning_reference": "P230019/O"}),
        domain,
    )
    assert only(dispatcher)["status"] == (
        "We made a decision on Thursday 30 July 2026: refused. Status now: appeal lodged."
    )


def test_planning_not_found_and_validation(bot_db, dispatcher, domain):
    events = run(
        ActionPlanningStatus(),
        dispatcher,
        make_tracker(slots={"planning_reference": "P999999/F"}),
        domain,
    )
    assert only(dispatcher)["response"] == "utter_planning_not_found"
    assert events == [SlotSet("planning_reference", None)]
    dispatcher.messages.clear()
    tracker = make_tracker(
        "its p 238812 / o",
        "inform",
        active_loop="planning_form",
        slots={"requested_slot": "planning_reference"},
        candidates={"planning_reference": "its p 238812 / o"},
    )
    assert run(ValidatePlanningForm(), dispatcher, tracker, domain) == [
        SlotSet("planning_reference", "P238812/O")
    ]


def test_library_hours_in_words(bot_db, dispatcher, domain):
    events = run(ActionLibraryHours(), dispatcher, make_tracker(slots={"library": "ross"}), domain)
    message = only(dispatcher)
    assert (message["name"], message["address"]) == (
        "Ross-on-Wye Library",
        "Cantilupe Road, Ross-on-Wye HR9 7AN",
    )
    assert message["hours"] == (
        "Monday, Tuesday, Thursday and Friday, 9:30am to 5pm. "
        "Saturday, 9:30am to 1pm. Closed on Wednesday and Sunday."
    )
    assert message["today"] == "Today it is open from 9:30am to 5pm."
    assert events == [SlotSet("library", "Ross-on-Wye")]


def test_library_form_validation(dispatcher, domain):
    tracker = make_tracker(
        "the one in lemster",
        "inform",
        active_loop="library_form",
        slots={"requested_slot": "library"},
        candidates={"library": "the one in lemster"},
    )
    assert run(ValidateLibraryForm(), dispatcher, tracker, domain) == [
        SlotSet("library", "Leominster")
    ]
    tracker = make_tracker(
        "paris",
        "inform",
        active_loop="library_form",
        slots={"requested_slot": "library"},
        candidates={"library": "paris"},
    )
    assert run(ValidateLibraryForm(), dispatcher, tracker, domain) == [SlotSet("library", None)]
    assert responses(dispatcher) == ["utter_library_invalid"]


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (None, "Monday to Friday, 9am to 5pm. Closed on Saturday and Sunday."),
        (
            "Mon-Fri 08:30-17:30; Sat 09:00-12:00",
            "Monday to Friday, 8:30am to 5:30pm. Saturday, 9am to 12 noon. Closed on Sunday.",
        ),
    ],
)
def test_contact_hours_from_the_environment(dispatcher, domain, monkeypatch, spec, words):
    if spec is None:
        monkeypatch.delenv("OPENING_HOURS", raising=False)
    else:
        monkeypatch.setenv("OPENING_HOURS", spec)
    run(
        ActionContactHours(), dispatcher, make_tracker("when are you open", "contact_hours"), domain
    )
    assert (only(dispatcher)["response"], only(dispatcher)["hours"]) == (
        "utter_contact_hours",
        words,
    )


@pytest.mark.parametrize(
    ("entity", "value", "response"),
    [
        ("postcode", "HR4 9AB", "utter_bin_days"),
        ("case_reference", "HC-100001 HR1 1HR", "utter_case_status"),
        ("planning_reference", "P238812/O", "utter_planning_status"),
        ("library", "Kington", "utter_library_hours"),
    ],
)
def test_inform_answers_what_it_was_given(bot_db, dispatcher, domain, entity, value, response):
    tracker = make_tracker(value, "inform", entities=[{"entity": entity, "value": value}])
    run(ActionInform(), dispatcher, tracker, domain)
    assert responses(dispatcher) == [response]


def test_inform_without_anything_useful(dispatcher, domain):
    run(ActionInform(), dispatcher, make_tracker("by the church", "inform"), domain)
    assert responses(dispatcher) == ["utter_inform_unclear"]


def test_database_failure_is_honest_and_hands_over(dispatcher, domain, tmp_path, monkeypatch):
    # An empty database file: no tables, so every query fails on our side.
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    run(ActionCaseStatus(), dispatcher, make_tracker(slots={"case_reference": "HC-100001"}), domain)
    assert responses(dispatcher) == ["utter_system_failure", None]
    handoff = signals(dispatcher)[0]["handoff"]
    assert (handoff["reason"], handoff["priority"]) == ("system_failure", 2)


def test_a_typed_email_proves_the_case_though_rasa_only_sees_it_redacted(bot_db, dispatcher,
                                                                         domain):
    from services.cases import create_case
    from storage.models import Conversation

    case = create_case(bot_db, kind="pothole", location="Kings Acre Road, Hereford",
                       contact_preference="email", contact_email="sam@example.org")
    with bot_db.session() as s:
        row = Conversation(channel="web", contact_detail="sam@example.org")
        s.add(row)
        s.flush()
        conversation = row.id
    tracker = make_tracker(slots={"case_reference": case.reference,
                                  "case_proof": "[redacted: email]"}, sender_id=conversation)
    run(ActionCaseStatus(), dispatcher, tracker, domain)
    assert only(dispatcher)["response"] == "utter_case_status"


def test_asking_for_proof_tells_the_router_to_keep_an_address(dispatcher, domain):
    from bot.actions.lookups import ActionAskCaseProof

    run(ActionAskCaseProof(), dispatcher, make_tracker(), domain)
    assert responses(dispatcher) == ["utter_ask_case_proof", None]
    assert signals(dispatcher) == [{"collect": "proof"}]
