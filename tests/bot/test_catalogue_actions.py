"""Catalogue answers as residents see them on the web, hear them on the phone and read them by
SMS; "Did you mean"; an honest "I don't know"; "Did that answer your question?"."""

from __future__ import annotations

import pytest
from rasa_sdk.events import SlotSet
from sqlalchemy import select

from bot.actions.catalogue import ActionAnswerFeedback, ActionAnswerService, ActionSendLink
from bot.actions.fallback import ActionNluFallback
from storage.models import AnswerFeedback, Conversation
from tests.bot.conftest import action_event, bot_event, make_tracker, responses, run, signals


def texts(dispatcher) -> list[str]:
    return [m["text"] for m in dispatcher.messages if m.get("text")]


def slots(events) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_web_gets_the_answer_the_link_a_phone_route_and_feedback_buttons(
        bot_db, dispatcher, domain):
    tracker = make_tracker("can you take away my old sofa", "ask_service")
    events = run(ActionAnswerService(), dispatcher, tracker, domain)
    said = texts(dispatcher)[0]
    assert said.startswith("We can collect large items from your home")
    assert "Read more: www.herefordshire.gov.uk/rubbish-recycling/bulky-waste-collection" in said
    assert said.endswith("Or call 01432 260000 (Monday to Friday, 9am to 5pm).")
    feedback = dispatcher.messages[1]
    assert feedback["response"] == "utter_did_that_answer"
    assert feedback["buttons"] == [{"title": "Yes", "payload": "/affirm"},
                                   {"title": "No", "payload": "/deny"}]
    assert slots(events)["last_service"] == "bulky-waste"
    assert slots(events)["awaiting_feedback"] is True
    assert slots(events)["likely_team"] == "waste"


def test_phone_gets_the_short_answer_and_an_offer_to_text_the_link(bot_db, dispatcher, domain):
    tracker = make_tracker("can you take away my old sofa", "ask_service", channel="phone")
    run(ActionAnswerService(), dispatcher, tracker, domain)
    said = texts(dispatcher)[0]
    assert said == ("We can collect large items like sofas and fridges for a charge. You can book "
                    "online, or an advisor can book it for you. I can text you a link with more. "
                    "Just say 'text me'.")
    assert "www." not in said
    assert dispatcher.messages[1]["buttons"] == []


def test_sms_gets_the_answer_and_the_link(bot_db, dispatcher, domain):
    tracker = make_tracker("I want to pay a parking fine", "ask_service", channel="sms")
    run(ActionAnswerService(), dispatcher, tracker, domain)
    said = texts(dispatcher)[0]
    assert said.startswith("You can pay a parking fine, called a penalty charge notice, online.")
    assert said.endswith("www.herefordshire.gov.uk/parking/pay-parking-fine")


def test_close_services_are_offered_as_choices_then_the_pick_is_answered(
        bot_db, dispatcher, domain, monkeypatch):
    from bot.actions import catalogue as actions
    from services.catalogue_search import Decision, Match

    sample = actions.current_catalogue()
    two = [Match(sample.get("bulky-waste"), 0.4), Match(sample.get("recycling-centres"), 0.3)]
    real_decide = actions.decide
    monkeypatch.setattr(actions, "decide", lambda tracker, cat: Decision("choose", two))
    tracker = make_tracker("get rid of junk", "ask_service")
    events = run(ActionAnswerService(), dispatcher, tracker, domain)
    message = dispatcher.messages[0]
    assert message["response"] == "utter_did_you_mean"
    choices = slots(events)["service_choices"]
    assert choices == ["bulky-waste", "recycling-centres"]
    assert [b["title"] for b in message["buttons"]] == [
        "Bulky waste collection", "Household recycling centres", "Talk to a person"]
    monkeypatch.setattr(actions, "decide", real_decide)
    assert message["buttons"][-1] == {"title": "Talk to a person", "payload": "/request_human"}
    first = message["buttons"][0]
    assert first["payload"] == f'/ask_service{{"service": "{choices[0]}"}}'
    # The button sends the service id as an entity: that service is answered.
    picked = make_tracker(first["payload"], "ask_service",
                          entities=[{"entity": "service", "value": choices[0]}],
                          slots={"service_choices": choices})
    dispatcher.messages.clear()
    events = run(ActionAnswerService(), dispatcher, picked, domain)
    assert slots(events)["last_service"] == choices[0]


def test_choices_on_the_phone_are_read_out(bot_db, dispatcher, domain, monkeypatch):
    from bot.actions import catalogue as actions
    from services.catalogue_search import Decision, Match

    sample = actions.current_catalogue()
    two = [Match(sample.get("bulky-waste"), 0.4), Match(sample.get("recycling-centres"), 0.3)]
    monkeypatch.setattr(actions, "decide", lambda tracker, cat: Decision("choose", two))
    tracker = make_tracker("get rid of junk", "ask_service", channel="phone")
    run(ActionAnswerService(), dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_did_you_mean_list"
    assert dispatcher.messages[0]["choices"] == (
        "Bulky waste collection, or Household recycling centres")


def test_nothing_fits_is_an_honest_unknown_a_person_and_a_logged_question(
        bot_db, dispatcher, domain):
    tracker = make_tracker("zxqv blorp wibble", "ask_service")
    events = run(ActionAnswerService(), dispatcher, tracker, domain)
    assert responses(dispatcher)[0] == "utter_service_unknown"
    [signal] = signals(dispatcher)
    assert set(signal["unanswered"]) == {"team", "candidates"}
    assert "last_service" not in slots(events)
    unknown = domain["responses"]["utter_service_unknown"][0]
    assert "I don't know" in unknown["text"]
    assert {"title": "Talk to a person", "payload": "/request_human"} in unknown["buttons"]


def test_not_a_council_question_says_what_we_can_help_with(bot_db, dispatcher, domain):
    tracker = make_tracker("who won the football last night", "out_of_scope")
    run(ActionAnswerService(), dispatcher, tracker, domain)
    assert responses(dispatcher)[0] == "utter_out_of_scope"
    assert "unanswered" in signals(dispatcher)[0]


def test_a_safeguarding_service_goes_to_the_urgent_queue(bot_db, dispatcher, domain):
    tracker = make_tracker("report child neglect", "ask_service",
                           entities=[{"entity": "service", "value": "safeguarding-child"}])
    run(ActionAnswerService(), dispatcher, tracker, domain)
    assert responses(dispatcher)[0] == "utter_safeguarding"
    [signal] = signals(dispatcher)
    assert signal["handoff"]["reason"] == "safeguarding" and signal["handoff"]["priority"] == 1
    assert signal["handoff"]["summary"]["team"] == "safeguarding"  # filed under that team


def test_an_unsure_nlu_still_gets_a_clear_catalogue_answer(bot_db, dispatcher, domain):
    tracker = make_tracker("Do I need planning permission for a fence", "nlu_fallback")
    run(ActionNluFallback(), dispatcher, tracker, domain)
    assert texts(dispatcher)[0].startswith("Many small jobs, like most fences under 2 metres")


def test_an_unsure_nlu_with_nothing_close_asks_again_and_logs_it(bot_db, dispatcher, domain):
    tracker = make_tracker("zxqv blorp wibble", "nlu_fallback")
    run(ActionNluFallback(), dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_rephrase", None]
    assert "unanswered" in signals(dispatcher)[0]


def _answer_history(channel: str = "webchat", answered_by: str = "action_answer_service"):
    """A catalogue answer and its "Did that answer your question?", as Rasa logs them."""
    return [
        {"event": "user", "text": "can you take away my old sofa", "input_channel": channel,
         "parse_data": {"intent": {"name": "ask_service", "confidence": 0.9}, "entities": []}},
        action_event(answered_by),
        bot_event("We can collect large items..."),
        bot_event("Did that answer your question?"),
        {"event": "slot", "name": "last_service", "value": "bulky-waste"},
        {"event": "slot", "name": "awaiting_feedback", "value": True},
        action_event("action_listen"),
    ]


def _after_answer(text: str, intent: str, channel: str = "webchat", sender_id: str = "conv-1",
                  answered_by: str = "action_answer_service"):
    history = _answer_history(channel, answered_by)
    return make_tracker(text, intent, channel=channel, history=history, sender_id=sender_id,
                        slots={"last_service": "bulky-waste", "awaiting_feedback": True})


@pytest.mark.parametrize(("text", "intent", "channel", "helpful", "reply"), [
    ("/affirm", "affirm", "webchat", True, "utter_feedback_yes"),   # the Yes button
    ("no", "deny", "phone", False, "utter_feedback_no"),           # spoken
    ("NO", "deny", "sms", False, "utter_feedback_no"),             # texted
])
def test_did_that_answer_is_recorded_on_every_channel(bot_db, dispatcher, domain, text, intent,
                                                      channel, helpful, reply):
    with bot_db.session() as s:
        s.add(Conversation(id="conv-1", channel="web", state="bot"))
    events = run(ActionAnswerFeedback(), dispatcher, _after_answer(text, intent, channel), domain)
    assert responses(dispatcher) == [reply]
    assert SlotSet("awaiting_feedback", None) in events
    with bot_db.session() as s:
        row = s.scalar(select(AnswerFeedback))
        stored = {"web": "web", "webchat": "web"}.get(channel, channel)
        assert (row.conversation_id, row.channel, row.service_id, row.helpful) == (
            "conv-1", stored, "bulky-waste", helpful)


@pytest.mark.parametrize("answered_by", ["action_nlu_fallback", "action_not_at_risk"])
def test_feedback_on_an_answer_from_any_action_is_recorded(bot_db, dispatcher, domain,
                                                           answered_by):
    """An unsure NLU's catalogue answer, and the service's answer after "no, nobody is at
    risk", ask "Did that answer your question?" too: the reply must count."""
    with bot_db.session() as s:
        s.add(Conversation(id="conv-1", channel="web", state="bot"))
    tracker = _after_answer("yes", "affirm", answered_by=answered_by)
    run(ActionAnswerFeedback(), dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_feedback_yes"]
    with bot_db.session() as s:
        assert s.scalar(select(AnswerFeedback)).service_id == "bulky-waste"


def test_a_yes_two_turns_after_the_answer_is_not_taken_as_feedback(bot_db, dispatcher, domain):
    history = [*_answer_history(),
               {"event": "user", "text": "thanks", "parse_data": {"intent": {"name": "thank"}}},
               action_event("utter_you_are_welcome"), action_event("action_listen")]
    tracker = make_tracker("yes", "affirm", history=history,
                           slots={"last_service": "bulky-waste", "awaiting_feedback": True})
    run(ActionAnswerFeedback(), dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_how_can_i_help"]
    with bot_db.session() as s:
        assert s.scalar(select(AnswerFeedback)) is None


def test_a_later_yes_is_not_taken_as_feedback(bot_db, dispatcher, domain):
    tracker = make_tracker("yes", "affirm", slots={"last_service": "bulky-waste",
                                                   "awaiting_feedback": True})
    run(ActionAnswerFeedback(), dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_how_can_i_help"]
    with bot_db.session() as s:
        assert s.scalar(select(AnswerFeedback)) is None


def test_text_me_the_link_on_the_phone_sends_the_signal(bot_db, dispatcher, domain):
    tracker = make_tracker("text me the link", "request_link", channel="phone",
                           slots={"last_service": "bulky-waste"})
    run(ActionSendLink(), dispatcher, tracker, domain)
    assert responses(dispatcher)[0] == "utter_link_texted"
    assert signals(dispatcher) == [{"send_link": {
        "service_id": "bulky-waste", "title": "Bulky waste collection",
        "url": "https://www.herefordshire.gov.uk/rubbish-recycling/bulky-waste-collection"}}]


def test_asking_for_the_link_on_the_web_shows_it(bot_db, dispatcher, domain):
    tracker = make_tracker("whats the link", "request_link", slots={"last_service": "bulky-waste"})
    run(ActionSendLink(), dispatcher, tracker, domain)
    assert texts(dispatcher) == [
        "Bulky waste collection: www.herefordshire.gov.uk/rubbish-recycling/bulky-waste-collection"]
    assert signals(dispatcher) == []
