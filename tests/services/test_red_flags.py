"""The red-flag list: plain statements of harm the urgent queue must always get."""

from __future__ import annotations

import pytest

from services.catalogue import load_sample
from services.red_flags import RedFlagError, RedFlags, load


@pytest.mark.parametrize("message", [
    "my carer hits me", "He HIT me again last night", "my husband beats the kids",
    "I'm not safe at home", "i dont feel safe", "my mum is scared of my dad",
    "i want to kill myself", "I've been self harming... self harm", "he raped me",
    "she is being groomed online", "they've cuckooed the flat downstairs",
    "honestly I dont want to wake up anymore", "my brother keeps talking about ending it all",
    "been having thoughts of not being here", "everyone would be better off without me",
    "i cant go on any more", "she says there's no point in living",
])
def test_a_plain_statement_of_harm_is_a_red_flag(message):
    assert load().find(message)


@pytest.mark.parametrize("message", [
    "my parents have kicked me out", "a badger has been hit by a car",
    "I was racially abused", "my dad is not safe at home on his own since his falls",
    "where is the nearest tip", "I look after my mum and I'm exhausted",
    "we dont want to live here anymore the damp is awful", "how do I end my tenancy",
    "can the noise from next door go on after 11pm",
])
def test_service_questions_that_share_words_are_not(message):
    assert load().find(message) is None


def test_no_catalogue_question_about_another_service_is_a_red_flag():
    """Each phrase costs an extra hand-over wherever it matches a service question."""
    flagged = [(s.id, e) for s in load_sample().services if s.intent != "safeguarding_concern"
               for e in s.examples if load().find(e)]
    assert flagged == []


@pytest.mark.parametrize(("phrases", "error"), [
    ([], "no phrases"), (["hits [me]"], "only words"), (["(hits|) me"], "must be words"),
    (["   "], "empty"),
])
def test_a_broken_list_is_refused_with_the_phrase_named(phrases, error):
    with pytest.raises(RedFlagError, match=error):
        RedFlags(phrases)
