"""The rule-based entities Rasa's forms and look-ups read (bot/spacy_pipeline.py)."""

from __future__ import annotations

import pytest

from bot.spacy_pipeline import build


@pytest.fixture(scope="module")
def nlp():
    return build()


def _entities(nlp, text: str) -> list[tuple[str, str, str]]:
    return [(e.label_, e.text, e.ent_id_) for e in nlp(text).ents]


@pytest.mark.parametrize(("text", "expected"), [
    ("when is the black bin collected", [("bin_type", "black bin", "general waste")]),
    ("when are the black bins emptied", [("bin_type", "black bins", "general waste")]),
    ("they didn't take my rubbish bins", [("bin_type", "rubbish bins", "general waste")]),
    ("someone has dumped rubbish in the lane", []),  # fly-tipping, not a bin
    ("is it green bins this week", [("bin_type", "green bins", "recycling")]),
    ("do you still take the garden bins in winter", [("bin_type", "garden bins",
                                                      "garden waste")]),
])
def test_bins_are_named_as_residents_name_them(nlp, text, expected):
    assert _entities(nlp, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("bin day for HR4 9AB", [("postcode", "HR4 9AB", "")]),
    ("bins at hr27ne please", [("postcode", "hr27ne", "")]),
    ("check HC-100001", [("case_reference", "HC-100001", "")]),
    ("whats happening with P238812/O", [("planning_reference", "P238812/O", "")]),
    ("is lemster library open", [("library", "lemster", "Leominster")]),
])
def test_references_places_and_postcodes(nlp, text, expected):
    assert _entities(nlp, text) == expected
