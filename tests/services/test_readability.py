"""The reading-ease score that bot responses (tests/bot/test_plain_english.py) and service
summaries (services/catalogue.py) are held to."""

from __future__ import annotations

import pytest

from services.readability import flesch, syllables


@pytest.mark.parametrize(("word", "count"), [
    ("cat", 1), ("bin", 1), ("council", 2), ("library", 3), ("automated", 4), ("person", 2),
    ("collection", 3), ("make", 1), ("opened", 2), ("houses", 2), ("everyone", 3),
    ("assistant", 3), ("application", 4), ("you're", 1),
])
def test_syllable_counter(word, count):
    assert syllables(word) == count


def test_flesch_matches_known_scores():
    assert flesch("The cat sat on the mat.") > 100
    hard = ("Notwithstanding the aforementioned considerations, applications for discretionary "
            "reductions necessitate comprehensive documentation.")
    assert flesch(hard) < 0
