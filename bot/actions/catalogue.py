"""Answers from the council's service catalogue (services/catalogue.py), on every channel.

    action_answer_service   a question about a council service (ask_service, out_of_scope):
                            answer with the link and a phone route; or "Did you mean: A / B?";
                            or an honest "I don't know" with a person offered and the question
                            logged for the content team (the `unanswered` signal)
    action_answer_feedback  yes / no to "Did that answer your question?"
    action_send_link        "text me the link" on the phone (the `send_link` signal)

Signals to the router (handoff/signals.py documents them):
  {"unanswered": {"team": "waste" | null, "candidates": ["bulky-waste", ...]}}
      the router stores the resident's (already redacted) message as an UnansweredQuestion,
      unless they opted out of data use; bot/ cannot import privacy/, the router can.
  {"send_link": {"service_id": "...", "title": "...", "url": "https://..."}}
      the router texts the link to the caller's number (phone conversations only).
Hand-overs after a catalogue answer carry the service's team in the summary ("team"), so the
ticket reaches advisors who know the service (HandoffTicket.team).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from bot.actions.common import (
    db,
    latest_entity,
    latest_intent,
    latest_text,
    leave_form,
    send_handoff,
)
from services import catalogue as catalogue_service
from services.catalogue import Catalogue, Service
from services.catalogue_feedback import record_feedback
from services.catalogue_search import Decision, Match, decide_for, index_for, warm_up

log = logging.getLogger(__name__)
ANSWER_ACTION = "action_answer_service"

PERSON = {"title": "Talk to a person", "payload": "/request_human"}
FEEDBACK_BUTTONS = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
# Catalogue entries that are really these intents' business: answered the intent's way, so a
# safeguarding concern found by retrieval still reaches the urgent queue.
_HANDOFF_INTENTS = {
    "safeguarding_concern": ("utter_safeguarding", "safeguarding", 1),
    "housing_help": ("utter_housing_help", "housing", 2),
    "complaint": ("utter_complaint", "complaint", 3),
}


def channel_of(tracker: Tracker) -> str:
    return tracker.get_latest_input_channel() or "webchat"


def current_catalogue() -> Catalogue:
    try:
        return catalogue_service.current(db())
    except SQLAlchemyError:
        log.warning("catalogue table unreadable; answering from the shipped sample")
        return catalogue_service.current(None)


# --- what each channel gets ------------------------------------------------------------------


def answer_text(service: Service, channel: str) -> str:
    if channel == "phone":
        return f"{service.phone_answer} I can text you a link with more. Just say 'text me'."
    if channel == "sms":
        return f"{service.answer} {service.display_url}"
    return f"{service.answer} Read more: {service.display_url} {service.route()}"


def say_answer(dispatcher: CollectingDispatcher, tracker: Tracker,
               service: Service) -> list[EventType]:
    channel = channel_of(tracker)
    handoff = _HANDOFF_INTENTS.get(service.intent or "")
    events: list[EventType] = [SlotSet("service_choices", None),
                               SlotSet("likely_team", service.team)]
    if handoff:
        response, reason, priority = handoff
        dispatcher.utter_message(response=response)
        send_handoff(dispatcher, tracker, reason, priority, team=service.team)
        return events + leave_form(tracker)
    dispatcher.utter_message(text=answer_text(service, channel))
    dispatcher.utter_message(response="utter_did_that_answer",
                             buttons=FEEDBACK_BUTTONS if channel == "webchat" else [])
    return events + [SlotSet("last_service", service.id), SlotSet("awaiting_feedback", True)]


def say_choices(dispatcher: CollectingDispatcher, tracker: Tracker,
                matches: list[Match]) -> list[EventType]:
    channel = channel_of(tracker)
    titles = [m.service.title for m in matches]
    if channel == "webchat":
        buttons = [{"title": t, "payload": f'/ask_service{{"service": "{m.service.id}"}}'}
                   for t, m in zip(titles, matches, strict=True)]
        dispatcher.utter_message(response="utter_did_you_mean", buttons=buttons + [PERSON])
    else:
        spoken = ", or ".join(titles)
        dispatcher.utter_message(response="utter_did_you_mean_list", choices=spoken)
    return [SlotSet("service_choices", [m.service.id for m in matches]),
            SlotSet("likely_team", matches[0].service.team), SlotSet("awaiting_feedback", None)]


def unanswered_signal(dispatcher: CollectingDispatcher, decision: Decision) -> None:
    dispatcher.utter_message(json_message={"unanswered": {
        "team": decision.likely_team,
        "candidates": [m.service.id for m in decision.matches[:3]],
    }})


def say_unknown(dispatcher: CollectingDispatcher, tracker: Tracker,
                decision: Decision) -> list[EventType]:
    team = decision.likely_team
    # Not a council question at all (the NLU's out_of_scope): say what we can help with.
    not_council = latest_intent(tracker) == "out_of_scope"
    dispatcher.utter_message(response="utter_out_of_scope" if not_council
                             else "utter_service_unknown")
    unanswered_signal(dispatcher, decision)
    return [SlotSet("service_choices", None), SlotSet("likely_team", team),
            SlotSet("awaiting_feedback", None)]


def decide(tracker: Tracker, catalogue: Catalogue) -> Decision:
    """The catalogue's answer to the latest message, with the NLU's view taken into account."""
    return decide_for(index_for(catalogue), latest_text(tracker), latest_intent(tracker),
                      tracker.get_slot("service_choices") or [])


def respond(dispatcher: CollectingDispatcher, tracker: Tracker,
            decision: Decision) -> list[EventType]:
    if decision.kind == "answer" and decision.service is not None:
        return say_answer(dispatcher, tracker, decision.service)
    if decision.kind == "choose":
        return say_choices(dispatcher, tracker, decision.matches)
    return say_unknown(dispatcher, tracker, decision)


class ActionAnswerService(Action):
    def name(self) -> str:
        return ANSWER_ACTION

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        catalogue = current_catalogue()
        chosen = catalogue.get(latest_entity(tracker, "service"))  # a "Did you mean" button
        if chosen is not None:
            events = say_answer(dispatcher, tracker, chosen)
        else:
            events = respond(dispatcher, tracker, decide(tracker, catalogue))
        return leave_form(tracker) + events + [SlotSet("concern_check", None)]


class ActionNotAtRisk(Action):
    """ "No" to "Is someone at risk of harm?" (action_safeguarding): the answer of the service
    that was offered beside it."""

    def name(self) -> str:
        return "action_not_at_risk"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        offered = tracker.get_slot("service_choices") or []
        service = current_catalogue().get(offered[0]) if offered else None
        if service is None:
            dispatcher.utter_message(response="utter_how_can_i_help")
            return [SlotSet("concern_check", None)]
        return say_answer(dispatcher, tracker, service) + [SlotSet("concern_check", None)]


def answered_just_before(tracker: Tracker) -> bool:
    """The turn before this one ended with a catalogue answer and "Did that answer your
    question?", whichever action gave it (the catalogue, an unsure NLU's fallback, or "no" to
    "Is someone at risk of harm?"): every one of them sets awaiting_feedback with the answer."""
    if not tracker.get_slot("awaiting_feedback"):
        return False
    users = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            users += 1
            if users == 2:
                return False
        elif (users == 1 and event.get("event") == "slot"
              and event.get("name") == "awaiting_feedback"):
            return bool(event.get("value"))
    return False


class ActionAnswerFeedback(Action):
    """Yes or no to "Did that answer your question?", recorded in answer_feedback."""

    def name(self) -> str:
        return "action_answer_feedback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        service_id = tracker.get_slot("last_service")
        helpful = latest_intent(tracker) == "affirm"
        if not service_id or not answered_just_before(tracker):
            dispatcher.utter_message(
                response="utter_how_can_i_help" if helpful else "utter_deny_ack")
            return [SlotSet("awaiting_feedback", None)]
        try:
            record_feedback(db(), conversation_id=tracker.sender_id,
                            channel=channel_of(tracker), service_id=service_id, helpful=helpful)
        except SQLAlchemyError:
            log.warning("answer feedback not recorded")  # never fail the resident over this
        dispatcher.utter_message(response="utter_feedback_yes" if helpful else "utter_feedback_no")
        return [SlotSet("awaiting_feedback", None)]


class ActionSendLink(Action):
    """ "Text me the link": the router texts the last answer's page to the caller."""

    def name(self) -> str:
        return "action_send_link"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        service = current_catalogue().get(tracker.get_slot("last_service"))
        if service is None:
            dispatcher.utter_message(response="utter_no_link_to_send")
            return []
        if channel_of(tracker) != "phone":  # web and SMS already have the link: show it again
            dispatcher.utter_message(text=f"{service.title}: {service.display_url}")
            return []
        dispatcher.utter_message(response="utter_link_texted")
        dispatcher.utter_message(json_message={"send_link": {
            "service_id": service.id, "title": service.title, "url": service.url,
        }})
        return []


def _in_action_server() -> bool:
    """True in `python -m rasa_sdk`, which imports the actions before it starts listening."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return getattr(spec, "name", "") == "rasa_sdk.__main__"


# The action server imports this module at start: build the catalogue index now, not on the
# first resident's question (it takes 5-10 s, longer than the app waits for a reply). In the
# action server, before it listens, so its /health (and the app's /healthz) wait for it.
warm_up(current_catalogue, wait=_in_action_server())
