"""Library look-ups: find a library by town name and describe its opening hours in words."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import select

from services.dates import DAY_KEYS, DAY_NAMES, clock, describe_week, parse_clock, today
from storage.db import Database
from storage.models import Library

# What residents say -> the town a library is named after.
TOWN_ALIASES = {
    "hereford": "Hereford",
    "leominster": "Leominster",
    "lemster": "Leominster",
    "ledbury": "Ledbury",
    "ross-on-wye": "Ross-on-Wye",
    "ross on wye": "Ross-on-Wye",
    "ross": "Ross-on-Wye",
    "kington": "Kington",
    "bromyard": "Bromyard",
    "colwall": "Colwall",
    "belmont": "Belmont",
}


def match_town(text: str | None) -> str | None:
    """The library town named in `text` ('the one in ross please' -> 'Ross-on-Wye'), or None.
    Longer names win, so 'ross on wye' is not read as 'ross'."""
    if not text:
        return None
    words = " " + re.sub(r"[^a-z-]+", " ", text.lower()).strip() + " "
    for alias in sorted(TOWN_ALIASES, key=len, reverse=True):
        if f" {alias} " in words:
            return TOWN_ALIASES[alias]
    return None


def parse_hours(hours: dict) -> dict[int, tuple[time, time] | None]:
    """{'mon': '09:30-17:00', 'tue': None} -> {0: (9:30, 17:00), 1: None, ...}."""
    spans: dict[int, tuple[time, time] | None] = {}
    for i, key in enumerate(DAY_KEYS):
        value = (hours or {}).get(key)
        if not value:
            spans[i] = None
            continue
        opens, _, closes = str(value).partition("-")
        spans[i] = (parse_clock(opens), parse_clock(closes))
    return spans


@dataclass(frozen=True)
class LibraryInfo:
    name: str
    address: str
    phone: str | None
    spans: dict[int, tuple[time, time] | None]

    def hours_in_words(self) -> str:
        return describe_week(self.spans)

    def today_in_words(self, on: date | None = None) -> str:
        on = on or today()
        span = self.spans.get(on.weekday())
        if span is None:
            return f"It is closed today ({DAY_NAMES[on.weekday()]})."
        return f"Today it is open from {clock(span[0])} to {clock(span[1])}."


def find_library(db: Database, town_or_name: str) -> LibraryInfo | None:
    town = match_town(town_or_name) or town_or_name.strip()
    with db.session() as s:
        rows = s.scalars(select(Library).order_by(Library.name)).all()
        for row in rows:
            name = row.name.lower()
            if name == town.lower() or name.startswith(town.lower() + " "):
                return LibraryInfo(row.name, row.address, row.phone, parse_hours(row.hours))
    return None


def library_names(db: Database) -> list[str]:
    with db.session() as s:
        return list(s.scalars(select(Library.name).order_by(Library.name)).all())
