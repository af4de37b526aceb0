"""Finding the service a resident means, or admitting that nothing fits."""

from __future__ import annotations

import time

import pytest

from services.catalogue import load_sample
from services.catalogue_search import CatalogueIndex, decide_for, not_council_questions


@pytest.fixture(scope="module")
def index() -> CatalogueIndex:
    return CatalogueIndex(load_sample())


@pytest.mark.parametrize(("question", "service"), [
    ("I want to pay a parking fine", "parking-fine-pay"),
    ("What are the council tax bands", "council-tax-bands"),
    ("Is my child entitled to free school meals", "free-school-meals"),
    ("I want to foster a child", "fostering"),
    ("A tree has fallen across the road", "fallen-tree"),
    ("there's a dead badger in the road", "dead-animal"),
    ("The traffic lights are stuck on red", "traffic-lights"),
    ("Can I have a bonfire", "bonfires"),
    ("I need a skip permit", "skip-permit"),
    ("Do I need planning permission for a fence", "need-planning-permission"),
])
def test_the_issue_examples_get_their_own_service(index, question, service):
    decision = index.decide(question)
    assert decision.kind == "answer"
    assert decision.service.id == service


def test_nothing_close_is_an_honest_unknown_with_no_team(index):
    decision = decide_for(index, "zxqv blorp", "nlu_fallback")
    assert decision.kind == "unknown"


def test_a_question_the_nlu_called_out_of_scope_needs_a_surer_match(index):
    assert decide_for(index, "who won the football", "out_of_scope").kind == "unknown"


def test_choices_narrow_the_next_answer(index):
    decision = index.decide("the tip", among=["recycling-centres", "bulky-waste"])
    assert decision.kind == "answer" and decision.service.id == "recycling-centres"


def test_a_search_takes_a_few_milliseconds(index):
    started = time.perf_counter()
    for _ in range(20):
        index.decide("can someone take away my old sofa")
    assert (time.perf_counter() - started) / 20 < 0.05


# --- "none of these": questions that are not the council's business --------------------------


def test_the_not_council_questions_come_from_the_nlus_out_of_scope_examples(tmp_path):
    nlu = tmp_path / "out_of_scope.yml"
    nlu.write_text('version: "3.1"\nnlu:\n- intent: out_of_scope\n  examples: |\n'
                   "    - how long do i boil an egg\n"
                   "    - is it raining in [Hereford](library)\n")
    assert not_council_questions(nlu) == ("how long do i boil an egg", "is it raining in Hereford")
    assert not_council_questions(tmp_path / "missing.yml") == ()
    assert "how do i tax my car" in {q.lower() for q in not_council_questions()}


def test_what_is_not_the_councils_business_takes_its_weight_off_the_services(index):
    without = CatalogueIndex(load_sample(), not_council=[])
    for question, before in (("how do i get my car taxed with the dvla", 0.8),
                             ("my passport expires next month how do i renew it", 0.05)):
        assert without.scores(question).max() > before  # some service takes the question ...
        assert index.scores(question).max() < before * 0.6  # ... less so beside "none of these"
        assert decide_for(index, question, "ask_service").kind != "answer"


def test_a_non_council_question_gets_an_honest_unknown(index):
    for question in ("my passport expires next month how do i renew it",
                     "my gp surgery wont give me an appointment", "what is the capital of peru"):
        assert decide_for(index, question, "ask_service").kind == "unknown", question


def test_council_questions_keep_their_answers_beside_none_of_these(index):
    decision = index.decide("can someone take away my old sofa")
    assert decision.kind == "answer" and decision.service.id == "bulky-waste"


def test_the_share_of_an_intents_services_is_their_probabilities_together(index):
    """What the arbiter asks before it passes a weak concern on: does the catalogue see harm?"""
    worried = "my neighbour shouts at her kids all the time and they look scared"
    urgent = {s.id for s in index.catalogue.services if s.intent == "safeguarding_concern"}
    assert urgent >= {"safeguarding-child", "safeguarding-adult", "domestic-abuse"}
    scores = index.scores(worried)
    expected = sum(scores[i] for i, s in enumerate(index.catalogue.services) if s.id in urgent)
    assert index.share(worried, intent="safeguarding_concern") == pytest.approx(expected)
    assert (index.share(worried, intent="safeguarding_concern")
            > 10 * index.share("when is my green bin emptied", intent="safeguarding_concern"))
    assert index.share(worried, intent="no_such_intent") == 0.0


def test_a_bare_phrase_gets_a_sure_answer_or_nothing_never_choices(index):
    """inform: the NLU took it for an answer to a question nobody asked."""
    assert decide_for(index, "the leisure centre", "inform").service.id == "leisure-centres"
    assert decide_for(index, "by the church", "ask_service").kind == "choose"
    assert decide_for(index, "by the church", "inform").kind == "unknown"


def test_a_pick_among_the_choices_just_offered_is_answered(index):
    decision = decide_for(index, "the tip", "ask_service",
                          choices=["recycling-centres", "bulky-waste"])
    assert decision.kind == "answer" and decision.service.id == "recycling-centres"


def test_a_new_question_after_choices_is_not_forced_into_them(index):
    """Asked "Did you mean assisted collection or a new bin?", the resident asks about paint
    instead: the answer is about paint, never one of the two offered."""
    choices = ["assisted-collection", "new-bin"]
    decision = decide_for(index, "where do i take old paint", "ask_service", choices=choices)
    assert decision.service is not None
    assert decision.service.id == "recycling-centres"
    assert index.decide("where do i take old paint", among=choices).kind == "answer"  # the trap


def test_one_message_is_scored_once_however_many_questions_are_asked_of_it(monkeypatch):
    """The arbiter's search and share, then decide_for, all look at the same message."""
    index = CatalogueIndex(load_sample())
    calls = []
    score = index._score
    monkeypatch.setattr(index, "_score", lambda text: calls.append(text) or score(text))
    text = "my elderly mother needs a carer at home"
    best = index.search(text, limit=1)[0]
    index.share(text, intent="safeguarding_concern")
    assert decide_for(index, text, "ask_service").matches[0] == best
    assert calls == [text]
    index.search("a tree has fallen across the road")
    assert calls == [text, "a tree has fallen across the road"]
    with pytest.raises(ValueError, match="read-only"):
        index.scores("a tree has fallen across the road")[0] = 1.0
