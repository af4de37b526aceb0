"""The contact centre's opening hours (env OPENING_HOURS) in plain words, for the assistant.

The spec has the same form the web app uses: "Mon-Fri 09:00-17:00; Sat 09:00-12:00". Bot actions
import only services and storage, so this small parser lives here, and the router's
OpeningHours (handoff/availability.py) uses it too, so both agree.

"24:00" closes at the end of the day: "Mon-Sun 00:00-24:00" is open all day, every day. (Without
it a 24-hour service had to write 23:59 and was closed for the last minute of each day.)
"""

from __future__ import annotations

import os
import re
from datetime import datetime, time

from services.dates import DAY_KEYS, council_tz, describe_week, parse_clock

DEFAULT_OPENING_HOURS = "Mon-Fri 09:00-17:00"
END_OF_DAY = time.max  # what "24:00" reads as: open up to, and through, 23:59:59
_PART = re.compile(r"^\s*(\w{3})(?:\s*-\s*(\w{3}))?\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$")


def parse_opening_hours(spec: str) -> dict[int, tuple[time, time]]:
    """{weekday: (opens, closes)}. Raises ValueError on anything it cannot read."""
    spans: dict[int, tuple[time, time]] = {}
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        m = _PART.match(part)
        if not m:
            raise ValueError(f"opening hours {part!r} should look like 'Mon-Fri 09:00-17:00'")
        first, last = m.group(1).lower(), (m.group(2) or m.group(1)).lower()
        if first not in DAY_KEYS or last not in DAY_KEYS:
            raise ValueError(f"unknown day in opening hours {part!r}")
        opens = parse_clock(m.group(3))
        closes = END_OF_DAY if m.group(4).strip() == "24:00" else parse_clock(m.group(4))
        if closes <= opens:
            raise ValueError(f"opening hours {part!r} close before they open")
        for day in range(DAY_KEYS.index(first), DAY_KEYS.index(last) + 1):
            spans[day] = (opens, closes)
    return spans


def opening_hours_spec() -> str:
    return (os.environ.get("OPENING_HOURS") or "").strip() or DEFAULT_OPENING_HOURS


def describe_opening_hours(spec: str | None = None) -> str:
    """'Monday to Friday, 9am to 5pm. Closed on Saturday and Sunday.'"""
    try:
        spans = parse_opening_hours(spec if spec is not None else opening_hours_spec())
    except ValueError:
        spans = parse_opening_hours(DEFAULT_OPENING_HOURS)
    return describe_week(dict(spans))


def is_open_now(spec: str | None = None, at: datetime | None = None) -> bool:
    try:
        spans = parse_opening_hours(spec if spec is not None else opening_hours_spec())
    except ValueError:
        spans = parse_opening_hours(DEFAULT_OPENING_HOURS)
    return open_at(spans, (at or datetime.now(council_tz())).astimezone(council_tz()))


def open_at(spans: dict[int, tuple[time, time]], local: datetime) -> bool:
    """Whether `local` (a time in the council's zone) falls in that weekday's span. Closing is
    exclusive (17:00 is closed), except END_OF_DAY, which runs to midnight."""
    span = spans.get(local.weekday())
    if not span:
        return False
    opens, closes = span
    return opens <= local.time() and (local.time() < closes or closes == END_OF_DAY)
