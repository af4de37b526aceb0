"""The contact centre's opening hours (env OPENING_HOURS) in plain words, for the assistant.

The spec has the same form the web app uses: "Mon-Fri 09:00-17:00; Sat 09:00-12:00". Bot actions
import only services and storage, so this small parser lives here.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, time

from services.dates import DAY_KEYS, council_tz, describe_week, parse_clock

DEFAULT_OPENING_HOURS = "Mon-Fri 09:00-17:00"
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
        opens, closes = parse_clock(m.group(3)), parse_clock(m.group(4))
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
    local = (at or datetime.now(council_tz())).astimezone(council_tz())
    span = spans.get(local.weekday())
    return bool(span) and span[0] <= local.time() < span[1]
