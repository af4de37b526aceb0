"""Opt-outs in words are recorded by the router itself, in every state and with Rasa down
(issue 14, item 4)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handoff import choice_rules
from handoff import queue as ops
from storage.models import Message, OptOutEvent

# From the assistant's own training data (data/nlu/optout.yml) and the issue.
DATA_USE = [
    "don't keep my data",
    "Please DON'T keep a record of this chat.",
    "i dont want this conversation recorded",
    "delete my conversation",
    "i dont want my data used to train the system",
    "dont use what i say to improve your ai",
    "can you not store my messages",
    "i dont consent to you keeping this",
    "stop recording me",
    "i object to my data being used",
    "please remove my chat history",
    "dont save this call",
    "i dont want you holding my information from this chat",
    "opt me out of data use",
]
ASSISTANT = [
    "i dont want to use the automated assistant",
    "i never want to talk to a robot again",
    "please stop using the chatbot with me",
    "i dont want a machine handling my enquiries",
    "from now on i only want to deal with people",
    "opt me out of the automated service",
    "i dont want to talk to a computer",
]
NOT_OPT_OUTS = [
    "when is my bin day",
    # Residents who cannot get online, not residents refusing the assistant.
    "I don't know how to use computers",
    "I don't use computers",
    "i never use a computer",
    "I don't like computers",
    "i dont trust computers",
    "you can use my data again",
    "i dont mind you keeping my data",
    "im happy for you to keep my conversations",
    "i dont know my reference number",
    "i want to talk to a person",
    "i cant save my details on your website",
    "i dont have my council tax account number",
    "ive changed my mind you can record me",
]


@pytest.mark.parametrize("words", DATA_USE)
def test_data_use_opt_outs_are_found(words):
    assert [(c.scope, c.action) for c in choice_rules.detect(words)][:1] == [
        ("data_use", "opt_out")]


@pytest.mark.parametrize("words", ASSISTANT)
def test_assistant_opt_outs_are_found(words):
    assert ("automated_assistant", "opt_out") in [(c.scope, c.action)
                                                  for c in choice_rules.detect(words)]


@pytest.mark.parametrize("words", NOT_OPT_OUTS)
def test_other_words_are_not_opt_outs(words):
    assert choice_rules.detect(words) == []


def _events(db) -> list[tuple[str, str, str, str]]:
    with db.session() as s:
        return [(e.scope, e.action, e.method, e.utterance)
                for e in s.scalars(select(OptOutEvent).order_by(OptOutEvent.id))]


@pytest.mark.parametrize("state", ["waiting", "advisor"])
def test_an_opt_out_typed_to_people_is_recorded_and_confirmed(router, fake_rasa, db, state,
                                                              advisor_online):
    conv = router.start("web", session_key="k")
    ticket = router.request_handoff(conv).ticket_id
    if state == "advisor":
        ops.claim(db, ticket, advisor_online)
    result = router.handle(conv, "don't keep my data")
    assert fake_rasa.calls == []  # still never reaches the assistant
    assert result.state == state
    assert _events(db) == [("data_use", "opt_out", "text", "don't keep my data")]
    assert [r.text for r in result.replies] == [
        "We have noted that you do not want us to keep or use your conversations."]
    with db.session() as s:
        last = s.scalars(select(Message).order_by(Message.id.desc())).first()
    assert (last.sender, last.text) == ("system", result.replies[0].text)  # the advisor sees it
    assert router.choices(conv) == {"data_use"}


def test_with_rasa_down_the_choice_is_recorded_and_the_handoff_still_happens(router, fake_rasa,
                                                                             db):
    fake_rasa.fail = True
    conv = router.start("phone", address="+447700900123", call_sid="CA1")
    result = router.handle(conv, "i dont want my data used to train the system", method="speech")
    assert result.assistant_failed and result.state == "waiting"
    assert _events(db)[0][:3] == ("data_use", "opt_out", "speech")
    assert [(c.scope, c.action) for c in result.recorded_choices] == [("data_use", "opt_out")]


def test_the_assistants_own_signal_is_not_recorded_twice(router, fake_rasa, db):
    fake_rasa.reply_to("delete my conversation", [
        {"text": "We will not keep it."},
        {"custom": {"opt_out": {"scope": "data_use", "utterance": "delete my conversation"}}}])
    conv = router.start("web", session_key="k")
    result = router.handle(conv, "delete my conversation")
    assert [r.text for r in result.replies] == ["We will not keep it."]
    assert _events(db) == [("data_use", "opt_out", "text", "delete my conversation")]
