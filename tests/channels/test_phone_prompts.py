"""Every phone prompt, measured in words: callers hear each once, at about 2.5 words a second."""

from __future__ import annotations

import pytest

from channels import phone_prompts as P

# Realistic values for the placeholders, long ones where it matters (the council's name).
VALUES = {"council": "Herefordshire Council", "days": 90, "digits": "1 2 3 4", "position": 12,
          "hours": "Monday to Friday, 9am to 5pm", "options": "Bin day or Report a pothole"}
# Words allowed: the greeting must be under 35 (issue 16); the data-use notice is heard only
# when the caller presses 8; everything else is short.
BUDGET = {"GREETING": 34, "DATA_USE": 55}
DEFAULT_BUDGET = 25
NOT_SPOKEN = {"HINTS", "CALLBACK_HINTS"}  # speech-recognition hints, never said


def prompts() -> dict[str, str]:
    return {name: value.format(**VALUES) for name, value in vars(P).items()
            if name.isupper() and isinstance(value, str) and name not in NOT_SPOKEN}


def words(text: str) -> int:
    return len(text.split())


def test_every_prompt_is_within_its_word_budget():
    counts = {name: words(text) for name, text in prompts().items()}
    over = {name: n for name, n in counts.items() if n > BUDGET.get(name, DEFAULT_BUDGET)}
    assert not over, f"too long to hear once: {over} (all counts: {sorted(counts.items())})"
    assert len(counts) >= 30  # the measurement covers the whole set, not a sample


def test_the_greeting():
    greeting = prompts()["GREETING"]
    assert words(greeting) < 35
    assert "automated assistant" in greeting
    assert "Press 0 or say 'person' at any time" in greeting
    assert "press 8 to hear how we use your information" in greeting.lower()
    assert "version" not in greeting.lower()


def test_the_data_use_notice_offers_a_person_and_the_retention_period():
    notice = P.data_use(90)
    assert "after 90 days" in notice and "Press 0 for a person." in notice


@pytest.mark.parametrize(("said", "expected"), [
    ("options", True), ("What are my options?", True), ("menu please", True),
    ("keys", True), ("planning options for my extension", False), ("", False),
    ("I want to report a pothole", False),
])
def test_asks_for_options(said, expected):
    assert P.asks_for_options(said) is expected


def test_the_score_question_is_short_keypad_only_and_ends_politely():
    question = prompts()["SCORE_QUESTION"]
    assert words(question) < 25
    assert "1" in question and "5" in question and "Press" in question
    assert "Goodbye." in prompts()["SCORE_THANKS"] and "Goodbye." in prompts()["GOODBYE"]
