"""Red-flag phrases (catalogue/red_flags.yml): plain statements of harm that send a message
straight to the urgent queue whatever the classifiers make of it. A deterministic net under a
statistical model, owned by the council's safeguarding lead as data, not code."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml

# The catalogue's normaliser: lower case, apostrophes dropped, whole words, "u" -> "you".
# Phrases go through it too, so a phrase and a message always meet in the same form.
from services.catalogue_search import normalise as plain

DEFAULT = Path(__file__).resolve().parent.parent / "catalogue" / "red_flags.yml"
_WORD = re.compile(r"^[a-z0-9 ]+$")


class RedFlagError(ValueError):
    """The list cannot be used; the message says which phrase and why."""


def _pattern(phrase: str) -> str:
    """'(hits|hit) me' -> r'\\b(?:hits|hit) me\\b', checking every word is plain."""
    parts = []
    for piece in re.split(r"(\([^()]*\))", phrase.strip()):
        if piece.startswith("("):
            options = piece[1:-1].split("|")
            if not all(o.strip() and _WORD.match(o.strip()) for o in options):
                raise RedFlagError(f"red flag {phrase!r}: each choice in {piece} must be words")
            parts.append("(?:" + "|".join(re.escape(plain(o)) for o in options) + ")")
        elif piece.strip():
            if not _WORD.match(piece.strip()):
                raise RedFlagError(f"red flag {phrase!r}: only words, spaces and (a|b) choices")
            parts.append(re.escape(plain(piece)))
    if not parts:
        raise RedFlagError("a red flag is empty")
    return r"\b" + " ".join(parts) + r"\b"


class RedFlags:
    def __init__(self, phrases: list[str]) -> None:
        if not phrases:
            raise RedFlagError("the red-flag list has no phrases")
        self.phrases = list(phrases)
        self._match = re.compile("|".join(_pattern(str(p)) for p in phrases))

    def find(self, text: str) -> str | None:
        """The first red-flag words in `text`, or None."""
        found = self._match.search(plain(text))
        return found.group(0) if found else None


def read(path: Path) -> RedFlags:
    document = yaml.safe_load(path.read_text()) or {}
    phrases = document.get("phrases")
    if not isinstance(phrases, list):
        raise RedFlagError(f"{path.name}: 'phrases' must be a list")
    return RedFlags([str(p) for p in phrases])


@functools.lru_cache(maxsize=4)
def load(path: str | Path = DEFAULT) -> RedFlags:
    return read(Path(path))
