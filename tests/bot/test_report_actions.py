"""The report form (missed bin, pothole, fly-tipping, street light): validation, corrections,
stop, and a real case created with a unique HC-nnnnnn reference."""

from __future__ import annotations

import re

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
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
    for name in ("location", "details", "contact_preference", "contact_detail", "reference_text",
                 "report_confirmed", "report_change")
]


def validate(
    dispatcher, domain, text, intent, requested, value=None, slots=None, entities=None, extra=None,
    keep_requested=False, channel="webchat",
):
    candidates = {requested: text if value is None else value} | (extra or {})
    tracker = make_tracker(
        text,
        intent,
        active_loop="report_form",
        entities=entities,
        slots={"requested_slot": requested, **(slots or {})},
        candidates=candidates,
        channel=channel,
    )
    events = run(ValidateReportForm(), dispatcher, tracker, domain)
    # The form picks its next question itself (required_slots); tests of that read it below.
    return {e["name"]: e["value"] for e in events
            if keep_requested or e["name"] != "requested_slot"}


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
    ) == {"contact_preference": "no updates", "contact_detail": None, "report_change": None}


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
    if cleared == "contact_preference":
        assert result.pop("contact_detail") is None  # the old address goes with the choice
    assert result == {"report_confirmed": None, cleared: None, "report_change": None}


def test_text_me_instead_changes_the_preference_directly(dispatcher, domain):
    assert validate(
        dispatcher, domain, "actually text me instead", "inform", "report_confirmed", slots=FILLED
    ) == {"report_confirmed": None, "contact_preference": "text message", "contact_detail": None,
          "report_change": None}


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
    result = validate(dispatcher, domain, "stop", "deny", requested, slots=FILLED,
                      keep_requested=True)
    assert result == {
        "location": None,
        "details": None,
        "contact_preference": None,
        "contact_detail": None,
        "reference_text": None,
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


# --- contact details and the caller's reference text (issue 13) ---------------------------------


async def _required(tracker, domain) -> list[str]:
    form = ValidateReportForm()
    return await form.required_slots(form.domain_slots(domain), CollectingDispatcher(), tracker,
                                     domain)


@pytest.mark.parametrize(
    ("channel", "preference", "asked"),
    [
        ("webchat", "email", ["contact_detail"]),
        ("webchat", "text message", ["contact_detail"]),
        ("webchat", "no updates", []),
        ("phone", "email", ["contact_detail", "reference_text"]),
        ("phone", "phone", ["reference_text"]),
        ("phone", "text message", []),  # their "received" text carries the reference
        ("sms", "text message", []),
        ("sms", "email", ["contact_detail"]),
    ],
)
def test_only_the_questions_we_need_are_asked(domain, channel, preference, asked):
    import asyncio

    tracker = make_tracker("x", "inform", channel=channel, active_loop="report_form",
                           slots=FILLED | {"contact_preference": preference})
    slots = asyncio.run(_required(tracker, domain))
    assert slots == ["location", "details", "contact_preference", *asked, "report_confirmed"]


@pytest.mark.parametrize(
    ("preference", "text", "detail"),
    [
        ("email", "Sam@Example.org", "sam@example.org"),
        ("email", "sam at example dot org", "sam@example.org"),
        ("email", "sam at example", None),
        ("text message", "07700 900123", "+447700900123"),
        ("text message", "+44 (0)7700 900123", "+447700900123"),
        ("phone", "01432 260000", "+441432260000"),
        ("text message", "12345", None),
    ],
)
def test_contact_details_are_checked(dispatcher, domain, preference, text, detail):
    result = validate(dispatcher, domain, text, "inform", "contact_detail",
                      slots=FILLED | {"contact_preference": preference})
    assert result["contact_detail"] == detail
    assert responses(dispatcher) == ([] if detail else ["utter_contact_detail_invalid"])


def test_no_updates_instead_of_a_detail_changes_the_choice(dispatcher, domain):
    result = validate(dispatcher, domain, "no updates", "deny", "contact_detail", slots=FILLED)
    assert result == {"contact_detail": None, "contact_preference": "no updates"}


@pytest.mark.parametrize(("text", "intent", "answer"),
                         [("yes please", "affirm", True), ("no thanks", "deny", False),
                          ("purple", "inform", None)])
def test_reference_text_is_yes_or_no(dispatcher, domain, text, intent, answer):
    result = validate(dispatcher, domain, text, intent, "reference_text", channel="phone",
                      slots=FILLED | {"contact_preference": "phone"})
    assert result["reference_text"] is answer


def _phone_conversation(bot_db, number: str = "+447700900123") -> str:
    from storage.models import Conversation

    with bot_db.session() as s:
        row = Conversation(channel="phone", address=number)
        s.add(row)
        s.flush()
        return row.id


def test_a_caller_who_says_yes_gets_the_reference_by_text_through_the_outbox(
        bot_db, dispatcher, domain):
    from services import outbox

    conversation = _phone_conversation(bot_db)
    slots = FILLED | {"contact_preference": "phone", "report_confirmed": True,
                      "reference_text": True}
    run(ActionSubmitReport(), dispatcher, make_tracker(slots=slots, sender_id=conversation),
        domain)
    reference = dispatcher.messages[0]["reference"]
    kinds = sorted((m.kind, m.payload.get("purpose")) for m in outbox.messages(bot_db))
    assert kinds == [("phone_call", "status"), ("sms", "reference")]
    with bot_db.session() as s:
        case = s.scalars(select(Case).where(Case.reference == reference)).one()
        assert case.contact_phone == "+447700900123"


def test_a_caller_who_says_no_gets_no_text(bot_db, dispatcher, domain):
    from services import outbox

    conversation = _phone_conversation(bot_db)
    slots = FILLED | {"contact_preference": "phone", "report_confirmed": True,
                      "reference_text": False}
    run(ActionSubmitReport(), dispatcher, make_tracker(slots=slots, sender_id=conversation),
        domain)
    assert [m.kind for m in outbox.messages(bot_db)] == ["phone_call"]


def test_an_email_given_in_the_form_is_kept_on_the_case(bot_db, dispatcher, domain):
    slots = FILLED | {"report_confirmed": True, "contact_detail": "sam@example.org"}
    run(ActionSubmitReport(), dispatcher, make_tracker(slots=slots), domain)
    with bot_db.session() as s:
        case = s.scalars(
            select(Case).where(Case.reference == dispatcher.messages[0]["reference"])).one()
        assert (case.contact_email, case.contact_phone) == ("sam@example.org", None)


def test_the_redacted_address_is_accepted_and_the_case_gets_the_kept_one(
        bot_db, dispatcher, domain):
    from storage.models import Conversation

    result = validate(dispatcher, domain, "[redacted: email]", "inform", "contact_detail",
                      slots=FILLED)
    assert result["contact_detail"] == "[redacted: email]"
    with bot_db.session() as s:
        row = Conversation(channel="web", contact_detail="sam@example.org")
        s.add(row)
        s.flush()
        conversation = row.id
    slots = FILLED | {"report_confirmed": True, "contact_detail": "[redacted: email]"}
    run(ActionSubmitReport(), dispatcher, make_tracker(slots=slots, sender_id=conversation),
        domain)
    with bot_db.session() as s:
        case = s.scalars(
            select(Case).where(Case.reference == dispatcher.messages[-1]["reference"])).one()
        assert case.contact_email == "sam@example.org"
        assert s.get(Conversation, conversation).contact_detail is None


def test_asking_for_the_address_tells_the_router_to_keep_it(dispatcher, domain):
    from bot.actions.reports import ActionAskContactDetail

    run(ActionAskContactDetail(), dispatcher,
        make_tracker(slots=FILLED | {"contact_preference": "text message"}), domain)
    assert responses(dispatcher) == ["utter_ask_contact_detail", None]
    assert signals(dispatcher) == [{"collect": "phone"}]
