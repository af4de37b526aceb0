"""What a message the NLU calls `inform` gives us to look up, from its entities.

One reading, shared by the bot's ActionInform and bench/catalogue.py, so the bench scores a bare
phrase ("the leisure centre") exactly when the bot would answer it from the catalogue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from services import cases, libraries, planning
from services.postcodes import find_postcode

# In the order ActionInform tries them: a case reference first ("HC-100001 HR1 1HR" is a case
# with its proof, not bin days for HR1 1HR).
_READERS: tuple[tuple[str, Callable[[str], str | None]], ...] = (
    ("case_reference", cases.find_reference),
    ("planning_reference", planning.find_reference),
    ("postcode", find_postcode),
    ("library", libraries.match_town),
)


@dataclass(frozen=True)
class Lookup:
    kind: str   # an entity name: case_reference, planning_reference, postcode or library
    value: str  # normalised: 'HC-100001', 'P231456/F', 'HR1 2AB', 'Ross-on-Wye'


def lookup_in(entities: Iterable[Mapping[str, Any]]) -> Lookup | None:
    """The first readable look-up among Rasa entities ({'entity': ..., 'value': ...}), or None
    for a bare phrase."""
    first: dict[str, str] = {}
    for entity in entities:
        if entity.get("value"):
            first.setdefault(str(entity.get("entity")), str(entity["value"]))
    for kind, read in _READERS:
        value = read(first.get(kind, ""))
        if value:
            return Lookup(kind, value)
    return None
