"""What counts as a 1-5 score in a text message (handoff/scores.py): short, plain answers only,
so a real question that happens to contain a number still reaches the assistant."""

from __future__ import annotations

import pytest

from handoff.scores import parse_score


@pytest.mark.parametrize(("said", "score"), [
    ("1", 1), ("5", 5), (" 3 ", 3), ("4.", 4), ("5!", 5), ("five", 5), ("Four", 4),
    ("5 stars", 5), ("1 star", 1), ("4/5", 4), ("3 out of 5", 3), ("2 out of five", 2),
    ("score 3", 3), ("my rating is 4", 4), ("a 5", 5), ("5 thanks", 5), ("4, thank you", 4),
    ("I give it 5", 5),
])
def test_plain_scores(said, score):
    assert parse_score(said) == score


@pytest.mark.parametrize("said", [
    "", None, "0", "6", "10", "45", "yes", "STOP", "PERSON", "five bins were missed",
    "my bin was missed 3 times", "flat 5", "is 5 ok", "1 or 2", "-1", "3.5",
])
def test_anything_else_is_not_a_score(said):
    assert parse_score(said) is None
