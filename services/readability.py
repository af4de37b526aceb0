"""Flesch reading ease, measured offline; tests/bot/test_plain_english.py holds bot replies to it.

Web addresses, email addresses, phone numbers and anything with a digit are left out of the
score: they are read as units, not words. Syllables come from a small rule-based counter, so
no dictionary download is needed.
"""

from __future__ import annotations

import re

URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w.-]+\.(?:com|uk|org)\b\S*", re.IGNORECASE)
_EMAIL = re.compile(r"\S+@\S+")
_PHONE = re.compile(r"\b0\d{3,4}\s?\d{3}\s?\d{3,4}\b|\b999\b|\b18001\b")


def syllables(word: str) -> int:
    """Vowel groups, less a silent final e / -es / -ed; at least one per word."""
    w = re.sub(r"[^a-z]", "", word.lower())
    if not w:
        return 0
    if len(w) <= 3:
        return 1
    w = re.sub(r"(?:[^laeiouysxzcgh]es|[^laeiouydt]ed|[^laeiouy]e)$", lambda m: m.group(0)[0], w)
    w = re.sub(r"^y", "", w)
    return max(1, len(re.findall(r"[aeiouy]+", w)))


def prose(text: str) -> str:
    text = URL.sub(" ", text)
    text = _EMAIL.sub(" ", text)
    text = _PHONE.sub(" ", text)
    return " ".join(t for t in text.split() if not re.search(r"\d", t))


def words_of(text: str) -> list[str]:
    return re.findall(r"[A-Za-z]+(?:['’-][A-Za-z]+)*", text)


def flesch(text: str) -> float:
    text = prose(text)
    words = words_of(text)
    sentences = max(1, len([s for s in re.split(r"[.!?]+", text) if words_of(s)]))
    syl = sum(syllables(w) for w in words)
    return 206.835 - 1.015 * (len(words) / sentences) - 84.6 * (syl / max(1, len(words)))


def word_count(text: str) -> int:
    """Words as a listener hears them: every token counts."""
    return len(text.split())
