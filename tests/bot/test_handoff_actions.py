"""Hand-over, fallback, repeat and opt-out actions: exact responses, signals and events."""

from __future__ import annotations

import pytest
from rasa_sdk.events import ActionExecuted, ActiveLoop, SessionStarted, SlotSet

from bot.actions.fallback import ActionNluFallback, ActionRepeat
from bot.actions.handoff import (
    ActionComplaint,
    ActionHandoffHuman,
    ActionHandoffLowConfidence,
    ActionHousingHelp,
    ActionSafeguarding,
)
from bot.actions.optout import (
    ActionAskMyChoices,
    ActionOptOutAutomation,
    ActionOptOutDataUse,
    ActionWithdrawOptOut,
)
from bot.actions.session import ActionSessionStart
from tests.bot.conftest import (
    action_event,
    bot_event,
    make_tracker,
    responses,
    run,
    signals,
    user_event,
)

REPORT_CLEARED = [
    ActiveLoop(None),
    SlotSet("requested_slot", None),
    SlotSet("location", None),
    SlotSet("details", None),
    SlotSet("contact_preference", None),
    SlotSet("contact_detail", None),
    SlotSet("reference_text", None),
    SlotSet("report_confirmed", None),
    SlotSet("report_change", None),
]


def test_session_start_says_it_is_automated_and_keeps_the_postcode(dispatcher, domain):
    tracker = make_tracker(slots={"postcode": "HR1 2AB", "details": "old",
                                  "session_started_metadata": {"channel": "web"}})
    events = run(ActionSessionStart(), dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_intro"]
    assert events == [
        SessionStarted(),
        SlotSet("postcode", "HR1 2AB"),
        ActionExecuted("action_listen"),
    ]
    web = domain["responses"]["utter_intro"][0]["text"]
    assert "automated assistant" in web and "talk to a person" in web


def test_session_start_on_the_phone_leaves_the_intro_to_the_lines_greeting(dispatcher, domain):
    tracker = make_tracker(slots={"session_started_metadata": {"channel": "phone"}})
    events = run(ActionSessionStart(), dispatcher, tracker, domain)
    assert dispatcher.messages == []
    assert events == [SessionStarted(), ActionExecuted("action_listen")]


def test_request_human_sends_a_handoff_signal_with_a_summary(dispatcher, domain):
    history = [
        user_event("when is my bin day", "bin_collection_day"),
        action_event("bin_day_form"),
        bot_event("What is your postcode?"),
    ]
    tracker = make_tracker(
        "can i speak to a person", "request_human", slots={"postcode": "HR1 2AB"}, history=history
    )
    events = run(ActionHandoffHuman(), dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_handoff_requested", None]
    assert signals(dispatcher) == [
        {
            "handoff": {
                "reason": "requested",
                "priority": 3,
                "summary": {
                    "intent": "request_human",
                    "slots": {"postcode": "HR1 2AB"},
                    "entities": [],
                    "topic": "bin collection day",
                },
            }
        }
    ]
    assert events == []


def test_request_human_during_a_report_ends_the_form_and_keeps_the_details_for_the_advisor(
    dispatcher, domain
):
    tracker = make_tracker(
        "let me talk to someone",
        "request_human",
        active_loop="report_form",
        slots={
            "report_kind": "pothole",
            "location": "Kings Acre Road",
            "requested_slot": "details",
        },
    )
    events = run(ActionHandoffHuman(), dispatcher, tracker, domain)
    summary = signals(dispatcher)[0]["handoff"]["summary"]
    assert summary["topic"] == "pothole report"
    assert summary["slots"] == {"report_kind": "pothole", "location": "Kings Acre Road"}
    assert events == REPORT_CLEARED


def test_safeguarding_gives_999_and_the_lines_first_then_an_urgent_handoff(dispatcher, domain):
    tracker = make_tracker("im worried a child is being hurt", "safeguarding_concern")
    run(ActionSafeguarding(), dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_safeguarding", None]
    handoff = signals(dispatcher)[0]["handoff"]
    assert (handoff["reason"], handoff["priority"]) == ("safeguarding", 1)
    assert handoff["summary"]["topic"] == "safeguarding concern"
    for variation in domain["responses"]["utter_safeguarding"]:
        text = variation["text"]
        assert text.index("999") < text.index("01432 260800") < text.index("0800 234 6034")
        # Someone thinking of harming themselves gets a line open day and night, whatever the
        # council's hours ("1 1 6, 1 2 3" on the phone, so the voice reads digits).
        assert "Samaritans" in text and ("116 123" in text or "1 1 6, 1 2 3" in text)


@pytest.mark.parametrize(
    ("action", "response", "reason", "priority"),
    [
        (ActionHousingHelp, "utter_housing_help", "housing", 2),
        (ActionComplaint, "utter_complaint", "complaint", 3),
        (ActionHandoffLowConfidence, "utter_handoff_low_confidence", "not_understood", 3),
    ],
)
def test_answer_then_handoff(dispatcher, domain, action, response, reason, priority):
    tracker = make_tracker("some text", "housing_help")
    assert run(action(), dispatcher, tracker, domain) == []
    assert responses(dispatcher) == [response, None]
    handoff = signals(dispatcher)[0]["handoff"]
    assert (handoff["reason"], handoff["priority"]) == (reason, priority)
    assert set(handoff["summary"]) == {"intent", "slots", "entities", "topic"}


def test_first_fallback_asks_to_rephrase_with_a_person_button(dispatcher, domain):
    tracker = make_tracker(
        "blorp", "nlu_fallback", history=[user_event("hello", "greet"), action_event("utter_greet")]
    )
    assert run(ActionNluFallback(), dispatcher, tracker, domain) == []
    assert responses(dispatcher) == ["utter_rephrase", None]
    # The only signal: log the question for the content team (nothing in the catalogue fits).
    assert list(signals(dispatcher)[0]) == ["unanswered"]
    assert {"title": "Talk to a person", "payload": "/request_human"} in domain["responses"][
        "utter_rephrase"
    ][0]["buttons"]


def test_second_fallback_in_a_row_hands_over(dispatcher, domain):
    history = [
        user_event("blorp", "nlu_fallback"),
        action_event("action_extract_slots"),
        action_event("action_nlu_fallback"),
        bot_event("Sorry, I didn't understand that."),
        action_event("action_listen"),
    ]
    tracker = make_tracker("zzzt", "nlu_fallback", history=history)
    run(ActionNluFallback(), dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_handoff_not_understood", None, None]
    assert signals(dispatcher)[0]["handoff"]["reason"] == "not_understood"
    assert list(signals(dispatcher)[1]) == ["unanswered"]


def test_fallbacks_that_are_not_in_a_row_only_ask_to_rephrase(dispatcher, domain):
    history = [
        user_event("blorp", "nlu_fallback"),
        action_event("action_nlu_fallback"),
        bot_event("Sorry, I didn't understand that."),
        user_event("pay council tax", "council_tax_pay"),
        action_event("utter_council_tax_pay"),
        bot_event("You can pay..."),
    ]
    tracker = make_tracker("zzzt", "nlu_fallback", history=history)
    run(ActionNluFallback(), dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_rephrase", None]


def test_repeat_says_the_last_answer_again_without_signals(dispatcher, domain):
    buttons = [{"title": "Talk to a person", "payload": "/request_human"}]
    history = [
        user_event("hello", "greet"),
        bot_event("Hello."),
        user_event("can i talk to someone", "thank"),
        bot_event("First part."),
        bot_event("Second part.", buttons=buttons),
        bot_event(None, custom={"choices": True}),
    ]
    tracker = make_tracker("say that again", "repeat", history=history)
    assert run(ActionRepeat(), dispatcher, tracker, domain) == []
    assert [(m["text"], m["buttons"]) for m in dispatcher.messages] == [
        ("First part.", []),
        ("Second part.", buttons),
    ]
    assert signals(dispatcher) == []


def test_repeat_with_nothing_said_yet(dispatcher, domain):
    run(ActionRepeat(), dispatcher, make_tracker("pardon", "repeat"), domain)
    assert responses(dispatcher) == ["utter_nothing_to_repeat"]


def test_repeat_inside_a_form_leaves_the_question_to_the_form(dispatcher, domain):
    tracker = make_tracker(
        "pardon",
        "repeat",
        active_loop="bin_day_form",
        history=[bot_event("What is your postcode?")],
    )
    assert run(ActionRepeat(), dispatcher, tracker, domain) == []
    assert dispatcher.messages == []


def test_opt_out_of_the_assistant_records_it_and_hands_over(dispatcher, domain):
    text = "i dont want to talk to a robot"
    tracker = make_tracker(text, "opt_out_automation")
    assert run(ActionOptOutAutomation(), dispatcher, tracker, domain) == []
    assert responses(dispatcher) == ["utter_opt_out_automation", None, None]
    opt_out, handoff = signals(dispatcher)
    assert opt_out == {"opt_out": {"scope": "automated_assistant", "utterance": text}}
    assert (handoff["handoff"]["reason"], handoff["handoff"]["priority"]) == ("opt_out", 3)


def test_a_bare_stop_in_a_form_leaves_the_form_and_is_not_an_opt_out(dispatcher, domain):
    tracker = make_tracker(
        "stop",
        "opt_out_automation",
        active_loop="report_form",
        slots={"requested_slot": "details", "location": "Kings Acre Road"},
    )
    events = run(ActionOptOutAutomation(), dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_report_stopped"]
    assert signals(dispatcher) == []
    assert events == REPORT_CLEARED


def test_a_bare_cancel_outside_a_form_is_not_recorded(dispatcher, domain):
    tracker = make_tracker("Cancel please", "opt_out_automation")
    assert run(ActionOptOutAutomation(), dispatcher, tracker, domain) == []
    assert responses(dispatcher) == ["utter_form_stopped"]
    assert signals(dispatcher) == []


def test_opt_out_of_data_use_records_it_and_keeps_helping(dispatcher, domain):
    text = "dont use my chat to train your system"
    tracker = make_tracker(text, "opt_out_data_use")
    assert run(ActionOptOutDataUse(), dispatcher, tracker, domain) == []
    assert responses(dispatcher) == ["utter_opt_out_data_use", None]
    assert signals(dispatcher) == [{"opt_out": {"scope": "data_use", "utterance": text}}]
    web = domain["responses"]["utter_opt_out_data_use"][0]["text"]
    assert "won't use this conversation to improve" in web and "only keep it" in web


@pytest.mark.parametrize(
    ("text", "scope", "response"),
    [
        (
            "i've changed my mind, i'm happy to use the assistant",
            "automated_assistant",
            "utter_withdraw_automation",
        ),
        ("you can use my data again", "data_use", "utter_withdraw_data_use"),
    ],
)
def test_withdraw_opt_out(dispatcher, domain, text, scope, response):
    run(ActionWithdrawOptOut(), dispatcher, make_tracker(text, "withdraw_opt_out"), domain)
    assert responses(dispatcher) == [response, None]
    assert signals(dispatcher) == [{"withdraw": {"scope": scope}}]


def test_ask_my_choices_asks_the_router_to_describe_them(dispatcher, domain):
    tracker = make_tracker("what have i opted out of", "ask_my_choices")
    run(ActionAskMyChoices(), dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_my_choices", None]
    assert signals(dispatcher) == [{"choices": True}]
