"""An uncertain safeguarding concern ("is my child entitled to free school meals"): 999 first,
then "Is someone at risk of harm?". Yes reaches the urgent queue; no gets the service it was
about; a person is always one button away. A sure concern still goes straight to the queue."""

from __future__ import annotations

import pytest

from bot.actions import common
from bot.actions.catalogue import ActionNotAtRisk
from bot.actions.handoff import ActionConcernConfirmed, ActionSafeguarding
from bot.nlu_components import CONCERN_CHECK, CatalogueArbiter
from tests.bot.conftest import intent_ranking, make_tracker, responses, run, signals

SCHOOL_MEALS = "is my child entitled to free school meals"


def _uncertain(text: str = SCHOOL_MEALS, channel: str = "webchat", **kwargs):
    tracker = make_tracker(text, "safeguarding_concern", channel=channel, **kwargs)
    tracker.latest_message[CONCERN_CHECK] = {"service": "free-school-meals"}
    return tracker


def _slots(events) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def _said(dispatcher, domain, channel: str = "") -> str:
    """The check as the resident reads or hears it (the domain's variant for the channel)."""
    message = dispatcher.messages[0]
    variants = domain["responses"][message["response"]]
    text = next((v["text"] for v in variants if v.get("channel") == channel),
                variants[0]["text"])
    return text.format(service=message["service"])


def test_the_key_is_the_same_in_the_nlu_the_actions_and_the_bench():
    from bench import catalogue as bench

    assert common.CONCERN_CHECK == bench.CONCERN_CHECK == CONCERN_CHECK


def test_the_web_gets_999_first_then_the_question_with_yes_no_and_a_person(
        bot_db, dispatcher, domain):
    events = run(ActionSafeguarding(), dispatcher, _uncertain(), domain)
    said = _said(dispatcher, domain)
    assert said.startswith("If someone is in danger right now, call 999.")
    assert "Is someone at risk of harm?" in said and "Free school meals" in said
    assert dispatcher.messages[0]["buttons"] == [
        {"title": "Yes, someone is at risk", "payload": "/safeguarding_concern"},
        {"title": "No, I'm asking about Free school meals",
         "payload": '/ask_service{"service": "free-school-meals"}'},
        {"title": "Talk to a person", "payload": "/request_human"},
    ]
    assert signals(dispatcher) == []  # nobody is queued until the resident says yes
    assert _slots(events) == {"concern_check": True, "service_choices": ["free-school-meals"],
                              "likely_team": "education", "awaiting_feedback": None}


@pytest.mark.parametrize(("channel", "variant", "asks"), [
    ("phone", "phone", "Say yes or no."),
    ("sms", "sms", "Reply YES or NO."),
])
def test_callers_and_texters_hear_999_first_and_answer_yes_or_no(
        bot_db, dispatcher, domain, channel, variant, asks):
    run(ActionSafeguarding(), dispatcher, _uncertain(channel=channel), domain)
    said = _said(dispatcher, domain, variant)
    assert said.index("999") < said.index("at risk of harm") < said.index(asks)
    assert "Free school meals" in said
    assert dispatcher.messages[0]["buttons"] == []


def test_a_check_in_the_middle_of_a_form_leaves_the_form(bot_db, dispatcher, domain):
    tracker = _uncertain(active_loop="bin_day_form", slots={"requested_slot": "postcode"})
    events = run(ActionSafeguarding(), dispatcher, tracker, domain)
    assert {"event": "active_loop", "name": None} in [
        {"event": e["event"], "name": e.get("name")} for e in events
        if e.get("event") == "active_loop"]


def test_yes_is_a_sure_concern_999_the_lines_and_the_urgent_queue(bot_db, dispatcher, domain):
    tracker = make_tracker("yes", "affirm", slots={"concern_check": True,
                                                   "service_choices": ["free-school-meals"]})
    events = run(ActionConcernConfirmed(), dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_safeguarding", None]
    handoff = signals(dispatcher)[0]["handoff"]
    assert (handoff["reason"], handoff["priority"]) == ("safeguarding", 1)
    assert _slots(events)["concern_check"] is None


def test_no_gets_the_service_it_was_about_with_its_link(bot_db, dispatcher, domain):
    tracker = make_tracker("no", "deny", slots={"concern_check": True,
                                                "service_choices": ["free-school-meals"]})
    events = run(ActionNotAtRisk(), dispatcher, tracker, domain)
    said = dispatcher.messages[0]["text"]
    assert said.startswith("Your child may get free school meals")
    assert "www.herefordshire.gov.uk" in said
    assert responses(dispatcher)[1] == "utter_did_that_answer"
    assert signals(dispatcher) == []
    assert _slots(events)["concern_check"] is None
    assert _slots(events)["last_service"] == "free-school-meals"


def test_no_with_nothing_offered_asks_how_to_help(bot_db, dispatcher, domain):
    events = run(ActionNotAtRisk(), dispatcher, make_tracker("no", "deny"), domain)
    assert responses(dispatcher) == ["utter_how_can_i_help"]
    assert _slots(events) == {"concern_check": None}


# --- when the NLU asks first ----------------------------------------------------------------


def _arbiter(index, **config) -> CatalogueArbiter:
    # unless_service_at 0.99: the catalogue is 95% sure of free school meals, which on its own
    # (at the configured 0.6) would already overrule the concern; here the share decides.
    return CatalogueArbiter.with_index({"unless_service_at": 0.99, **config}, index)


def test_a_small_share_beside_a_likely_service_is_checked(sample_index):
    ranking = intent_ranking(("ask_service", 0.8), ("safeguarding_concern", 0.12))
    arbiter = _arbiter(sample_index, check_below=0.2, offer_at=0.3, safeguarding_at=0.08)
    assert arbiter.judge(SCHOOL_MEALS, ranking) == ("safeguarding_concern", "free-school-meals")


def test_a_large_share_goes_straight_to_the_queue(sample_index):
    ranking = intent_ranking(("ask_service", 0.6), ("safeguarding_concern", 0.35))
    arbiter = _arbiter(sample_index, check_below=0.2, offer_at=0.3, safeguarding_at=0.08)
    assert arbiter.judge(SCHOOL_MEALS, ranking) == ("safeguarding_concern", None)


def test_a_concern_about_a_safeguarding_service_is_never_checked(sample_index):
    ranking = intent_ranking(("ask_service", 0.8), ("safeguarding_concern", 0.1))
    arbiter = _arbiter(sample_index, check_below=0.2, offer_at=0.0, safeguarding_at=0.08)
    winner, check = arbiter.judge("I think the child next door is being hurt", ranking)
    assert (winner, check) == ("safeguarding_concern", None)


def test_checking_is_off_unless_configured(sample_index):
    ranking = intent_ranking(("ask_service", 0.8), ("safeguarding_concern", 0.12))
    arbiter = _arbiter(sample_index, safeguarding_at=0.08)
    assert arbiter.judge(SCHOOL_MEALS, ranking) == ("safeguarding_concern", None)


def test_the_check_reaches_the_message_rasa_sends_to_the_actions(sample_index):
    from rasa.shared.nlu.training_data.message import Message

    ranking = intent_ranking(("ask_service", 0.8), ("safeguarding_concern", 0.12))
    message = Message(data={"text": SCHOOL_MEALS, "intent": ranking[0],
                            "intent_ranking": ranking})
    arbiter = _arbiter(sample_index, check_below=0.2, offer_at=0.3, safeguarding_at=0.08)
    arbiter.process([message])
    parse = message.as_dict(only_output_properties=True)
    assert parse["intent"]["name"] == "safeguarding_concern"
    assert parse[CONCERN_CHECK] == {"service": "free-school-meals"}


# --- when the catalogue sees no harm in the message either ---------------------------------

CARE = "my mum needs help at home after a fall"
_NO_HARM = {"sure_concern_at": 0.2, "catalogue_agrees_at": 0.02, "safeguarding_at": 0.08,
            "check_below": 0.0}  # the share rule is off: only the catalogue's view decides


def test_a_weak_concern_the_catalogue_sees_no_harm_in_is_asked_first(sample_index):
    ranking = intent_ranking(("ask_service", 0.7), ("safeguarding_concern", 0.15))
    assert sample_index.share(CARE, intent="safeguarding_concern") < 0.02
    winner, check = _arbiter(sample_index, **_NO_HARM).judge(CARE, ranking)
    assert (winner, check) == ("safeguarding_concern", "care-assessment")


def test_a_weak_concern_the_catalogue_also_sees_goes_straight_to_the_queue(sample_index):
    text = "my neighbour shouts at her kids all the time and they look scared"
    ranking = intent_ranking(("ask_service", 0.7), ("safeguarding_concern", 0.15))
    assert sample_index.share(text, intent="safeguarding_concern") >= 0.02
    assert _arbiter(sample_index, **_NO_HARM).judge(text, ranking) == (
        "safeguarding_concern", None)


def test_a_sure_concern_goes_straight_to_the_queue_whatever_the_catalogue_sees(sample_index):
    ranking = intent_ranking(("ask_service", 0.5), ("safeguarding_concern", 0.25))
    assert _arbiter(sample_index, **_NO_HARM).judge(CARE, ranking) == (
        "safeguarding_concern", None)


def test_asking_when_the_catalogue_sees_no_harm_is_off_unless_configured(sample_index):
    ranking = intent_ranking(("ask_service", 0.7), ("safeguarding_concern", 0.15))
    arbiter = _arbiter(sample_index, safeguarding_at=0.08)
    assert arbiter.judge(CARE, ranking) == ("safeguarding_concern", None)
