"""UK postcodes: find one in free text, normalise it, and the prefixes rounds are keyed by."""

from __future__ import annotations

import re

from services.matching import find_first

# Outward code (area + district) then inward code (sector digit + unit letters).
_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])([A-Za-z]{1,2}[0-9][A-Za-z0-9]?)\s*([0-9][A-Za-z]{2})(?![A-Za-z0-9])"
)
_OUTWARD = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")


def find_postcode(text: str | None) -> str | None:
    """The first full postcode in `text`, normalised ('hr1 2ab' -> 'HR1 2AB'), or None."""
    return find_first(_POSTCODE, text, lambda m: f"{m.group(1).upper()} {m.group(2).upper()}")


def normalise_prefix(prefix: str) -> str:
    """A round's postcode prefix as stored: 'hr1' -> 'HR1', 'hr12' -> ambiguous, so keep spacing:
    'hr1 2' -> 'HR1 2', 'hr12ab' -> 'HR1 2AB'."""
    text = " ".join(prefix.upper().split())
    full = find_postcode(text)
    return full or text


def is_valid_prefix(prefix: str) -> bool:
    """A full postcode ('HR1 2AB'), a sector ('HR1 2') or a district ('HR1')."""
    text = normalise_prefix(prefix)
    if find_postcode(text) == text:
        return True
    outward, _, sector = text.partition(" ")
    return bool(_OUTWARD.match(outward)) and (
        sector == "" or (len(sector) == 1 and sector.isdigit())
    )


def prefixes(postcode: str) -> list[str]:
    """Most specific first: ['HR1 2AB', 'HR1 2', 'HR1']."""
    full = find_postcode(postcode)
    if not full:
        return []
    outward, inward = full.split(" ")
    return [full, f"{outward} {inward[0]}", outward]
