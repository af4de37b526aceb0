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


@pytest.mark.parametrize(
    ("action", "slot", "value", "response", "said", "events"),
    [
        pytest.param(ActionBinCollectionDay(), "postcode", "SW1A 1AA", "utter_bin_no_round",
                     ("postcode", "SW1A 1AA"), [SlotSet("postcode", None)],
                     id="bin-days-outside-our-area"),
        pytest.param(ActionCaseStatus(), "case_reference", "HC-999999", "utter_case_not_found",
                     ("reference", "HC-999999"),
                     [SlotSet("case_reference", None), SlotSet("case_proof", None)],
                     id="case-not-found"),
        pytest.param(ActionPlanningStatus(), "planning_reference", "P999999/F",
                     "utter_planning_not_found", ("reference", "P999999/F"),
                     [SlotSet("planning_reference", None)],
                     id="planning-not-found"),
    ],
)
def test_nothing_found_says_so_and_forgets_the_answer(bot_db, dispatcher, domain, action, slot,
                                                      value, response, said, events):
    """`said`: the (field, value) the reply repeats back to the resident."""
    assert run(action, dispatcher, make_tracker(slots={slot: value}), domain) == events
    message = only(dispatcher)
    assert (message["response"], message[said[0]]) == (response, said[1])


def test_bin_form_stopped_says_so(bot_db, dispatcher, domain):
    assert run(ActionBinCollectionDay(), dispatcher, make_tracker(), domain) == []
    assert responses(dispatcher) == ["utter_form_stopped"]


# Each form's validator, and the slot it asks for.
FORMS = {
    "bin_day_form": (ValidateBinDayForm(), "postcode"),
    "case_status_form": (ValidateCaseStatusForm(), "case_reference"),
    "planning_form": (ValidatePlanningForm(), "planning_reference"),
    "library_form": (ValidateLibraryForm(), "library"),
}
LEAVES_THE_BIN_FORM = [SlotSet("postcode", None), SlotSet("requested_slot", None)]
STOP_OR_NO = [("stop", "deny"), ("cancel", "out_of_scope"), ("MENU", "inform"), ("no", "deny"),
              ("forget it thanks", "deny"), ("bye", "goodbye")]


@pytest.mark.parametrize(
    ("form", "text", "intent", "events", "replies"),
    [
        pytest.param("bin_day_form", "its hr4 9ab love", "inform",
                     [SlotSet("postcode", "HR4 9AB")], [], id="bin-postcode-in-a-sentence"),
        pytest.param("bin_day_form", "the one by the pub", "inform",
                     [SlotSet("postcode", None)], ["utter_postcode_invalid"],
                     id="bin-not-a-postcode-asks-again"),
        *(pytest.param("bin_day_form", text, intent, LEAVES_THE_BIN_FORM, None,
                       id=f"bin-{text}-leaves-the-form") for text, intent in STOP_OR_NO),
        pytest.param("bin_day_form", "no its HR1 2AB not the other one", "deny",
                     [SlotSet("postcode", "HR1 2AB")], None, id="bin-long-deny-is-an-answer"),
        # A case that exists: the form goes on to ask for the postcode or contact detail.
        pytest.param("case_status_form", "HC100004", "inform",
                     [SlotSet("case_reference", "HC-100004")], [], id="case-exists"),
        # No such case: nothing to prove, the form ends and the action says it was not found.
        pytest.param("case_status_form", "HC123456", "inform",
                     [SlotSet("case_reference", "HC-123456"), SlotSet("requested_slot", None)],
                     [], id="case-unknown-ends-the-form"),
        pytest.param("case_status_form", "dunno", "inform",
                     [SlotSet("case_reference", None)], ["utter_case_reference_invalid"],
                     id="case-not-a-reference"),
        pytest.param("planning_form", "its p 238812 / o", "inform",
                     [SlotSet("planning_reference", "P238812/O")], None,
                     id="planning-reference-in-a-sentence"),
        pytest.param("library_form", "the one in lemster", "inform",
                     [SlotSet("library", "Leominster")], [], id="library-misspelt"),
        pytest.param("library_form", "paris", "inform",
                     [SlotSet("library", None)], ["utter_library_invalid"], id="library-not-ours"),
    ],
)
def test_form_reads_the_answer(bot_db, dispatcher, domain, form, text, intent, events, replies):
    """The resident answers the question a form asked; `replies` None: what the form says then
    is not this case's concern."""
    validator, requested = FORMS[form]
    tracker = make_tracker(text, intent, active_loop=form, slots={"requested_slot": requested},
                           candidates={requested: text})
    assert run(validator, dispatcher, tracker, domain) == events
    if replies is not None:
        assert responses(dispatcher) == replies


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


def test_a_bare_phrase_naming_a_service_gets_its_answer(bot_db, dispatcher, domain):
    """ "the leisure centre" reads like an answer to a question nobody asked: if it plainly
    names a service, the resident gets that service's answer and link, not "what should I do
    with that?"."""
    events = run(ActionInform(), dispatcher, make_tracker("the leisure centre", "inform"), domain)
    said = dispatcher.messages[0]["text"]
    assert "Halo Leisure" in said and "www.herefordshire.gov.uk/leisure" in said
    assert responses(dispatcher)[1] == "utter_did_that_answer"
    assert {"event": "slot", "name": "last_service", "value": "leisure-centres",
            "timestamp": None} in events


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
