"""Finding things in what residents type: the first postcode or reference in free text, written
the one way we store it, and the first of several patterns that matches (bot/actions)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable


def find_first(pattern: re.Pattern[str], text: str | None,
               shape: Callable[[re.Match[str]], str]) -> str | None:
    """The first match of `pattern` in `text`, as `shape` writes it, or None."""
    if not text:
        return None
    m = pattern.search(text)
    return shape(m) if m else None


def first_label(text: str, table: Iterable[tuple[re.Pattern[str], str]]) -> str | None:
    """The label of the first pattern in `table` found in `text` (order is priority), or None."""
    for pattern, label in table:
        if pattern.search(text):
            return label
    return None
