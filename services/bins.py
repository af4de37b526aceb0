"""Bin collection look-ups: the round for a postcode and the next date for each bin type."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from services.dates import today, when
from services.postcodes import find_postcode, prefixes
from storage.db import Database
from storage.models import CollectionRound

BIN_TYPES = ("general waste", "recycling", "garden waste")
# What residents call each bin, for plain answers.
BIN_NAMES = {
    "general waste": "Black bin (rubbish)",
    "recycling": "Green bin (recycling)",
    "garden waste": "Brown bin (garden waste)",
}
_BIN_ALIASES = {
    "general waste": "general waste",
    "black bin": "general waste",
    "rubbish": "general waste",
    "rubbish bin": "general waste",
    "household waste": "general waste",
    "general rubbish": "general waste",
    "general": "general waste",
    "black": "general waste",
    "recycling": "recycling",
    "green bin": "recycling",
    "recycling bin": "recycling",
    "green": "recycling",
    "garden waste": "garden waste",
    "brown bin": "garden waste",
    "garden bin": "garden waste",
    "green waste": "garden waste",
    "garden": "garden waste",
    "brown": "garden waste",
}


def normalise_bin_type(value: str | None) -> str | None:
    if not value:
        return None
    return _BIN_ALIASES.get(" ".join(value.lower().split()))


def next_collection(
    weekday: int, every_weeks: int, first_date: date | datetime, on: date | None = None
) -> date:
    """The first collection on or after `on`. `first_date` is a known collection day; if its
    weekday disagrees with `weekday`, the anchor moves forward to the stated weekday."""
    on = on or today()
    anchor = first_date.date() if isinstance(first_date, datetime) else first_date
    anchor += timedelta(days=(weekday - anchor.weekday()) % 7)
    period = 7 * max(1, int(every_weeks))
    if on <= anchor:
        return anchor
    cycles = -(-(on - anchor).days // period)  # ceiling division
    return anchor + timedelta(days=cycles * period)


@dataclass(frozen=True)
class Collection:
    bin_type: str
    next_date: date
    every_weeks: int

    @property
    def name(self) -> str:
        return BIN_NAMES.get(self.bin_type, self.bin_type.capitalize())

    def describe(self, on: date | None = None) -> str:
        """'Black bin (rubbish): today, Tuesday 1 December.'"""
        return f"{self.name}: {when(self.next_date, on)}."

    @property
    def how_often(self) -> str:
        return "every week" if self.every_weeks == 1 else f"every {self.every_weeks} weeks"


@dataclass(frozen=True)
class CollectionLookup:
    postcode: str
    matched_prefix: str
    round_name: str
    collections: list[Collection]

    def describe(self, on: date | None = None, only: str | None = None) -> str:
        """Each bin's next day, then how often: 'Green bin (recycling): Tuesday 1 December.
        Black bin (rubbish): Tuesday 8 December. Each bin is emptied every 2 weeks.'"""
        items = [c for c in self.collections if only is None or c.bin_type == only]
        items = items or self.collections
        often = {c.how_often for c in items}
        if len(often) == 1:
            tail = f"{'It is' if len(items) == 1 else 'Each bin is'} emptied {often.pop()}."
            return " ".join(c.describe(on) for c in items) + " " + tail
        return " ".join(f"{c.describe(on)[:-1]}, then {c.how_often}." for c in items)


def find_collections(
    db: Database, postcode: str, on: date | None = None
) -> CollectionLookup | None:
    """Rounds for the most specific match: full postcode, then sector ('HR1 2'), then district."""
    full = find_postcode(postcode)
    if not full:
        return None
    on = on or today()
    with db.session() as s:
        for prefix in prefixes(full):
            rows = s.scalars(
                select(CollectionRound).where(CollectionRound.postcode_prefix == prefix)
            ).all()
            if rows:
                collections = sorted(
                    (
                        Collection(
                            r.bin_type,
                            next_collection(r.weekday, r.every_weeks, r.first_date, on),
                            r.every_weeks,
                        )
                        for r in rows
                    ),
                    key=lambda c: (
                        c.next_date,
                        BIN_TYPES.index(c.bin_type) if c.bin_type in BIN_TYPES else 99,
                    ),
                )
                return CollectionLookup(full, prefix, rows[0].round_name, collections)
    return None
