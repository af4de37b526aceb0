"""Dates and times in plain words, in the council's time zone."""

from __future__ import annotations

import os
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
DAY_KEYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def council_tz() -> ZoneInfo:
    return ZoneInfo(os.environ.get("TIMEZONE") or "Europe/London")


def today() -> date:
    """Today where the council is (not where the server is)."""
    return datetime.now(council_tz()).date()


def day_and_date(d: date) -> str:
    """'Tuesday 1 December'."""
    return f"{DAY_NAMES[d.weekday()]} {d.day} {MONTHS[d.month - 1]}"


def full_date(d: date) -> str:
    """'Tuesday 1 December 2026'."""
    return f"{day_and_date(d)} {d.year}"


def when(d: date, on: date | None = None) -> str:
    """'today, Tuesday 1 December', 'tomorrow, ...' or just 'Tuesday 1 December'."""
    on = on or today()
    if d == on:
        return f"today, {day_and_date(d)}"
    if (d - on).days == 1:
        return f"tomorrow, {day_and_date(d)}"
    return day_and_date(d)


def clock(t: time) -> str:
    """'9am', '5:30pm', '12 noon', 'midnight'."""
    if t.hour == 12 and t.minute == 0:
        return "12 noon"
    if (t.hour, t.minute) == (0, 0) or t == time.max:  # time.max: "24:00", the end of a day
        return "midnight"
    hour = t.hour % 12 or 12
    suffix = "am" if t.hour < 12 else "pm"
    return f"{hour}{suffix}" if t.minute == 0 else f"{hour}:{t.minute:02d}{suffix}"


def describe_span(span: tuple[time, time]) -> str:
    """'9am to 5pm', or 'all day' for midnight to midnight."""
    if span == (time(0, 0), time.max):
        return "all day"
    return f"{clock(span[0])} to {clock(span[1])}"


def parse_clock(text: str) -> time:
    """'09:30' -> time(9, 30). Raises ValueError."""
    hours, _, minutes = text.strip().partition(":")
    if not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2:
        raise ValueError(f"{text!r} is not a time like 09:30")
    if int(hours) > 23 or int(minutes) > 59:
        raise ValueError(f"{text!r} is not a time of day (00:00 to 23:59)")
    return time(int(hours), int(minutes))


def join_words(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _days_in_words(days: list[int]) -> str:
    """[0, 1, 2, 3, 4] -> 'Monday to Friday'; [0, 1, 3] -> 'Monday, Tuesday and Thursday'."""
    runs: list[list[int]] = []
    for day in days:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{DAY_NAMES[run[0]]} to {DAY_NAMES[run[-1]]}")
        else:
            parts.extend(DAY_NAMES[d] for d in run)
    return join_words(parts)


def describe_week(spans: dict[int, tuple[time, time] | None], closed_word: str = "closed") -> str:
    """Plain words for a week of opening times keyed by weekday (0 = Monday).

    {0..4: (9:00, 17:00), 5: (9:00, 12:00)} -> 'Monday to Friday, 9am to 5pm. Saturday, 9am to
    12 noon. Closed on Sunday.'
    """
    by_span: dict[tuple[time, time], list[int]] = {}
    closed: list[int] = []
    for day in range(7):
        span = spans.get(day)
        if span is None:
            closed.append(day)
        else:
            by_span.setdefault(span, []).append(day)
    if not by_span:
        return f"{closed_word.capitalize()} every day."
    parts = [
        f"{_days_in_words(days)}, {describe_span(span)}."
        for span, days in by_span.items()
    ]
    if closed:
        parts.append(f"{closed_word.capitalize()} on {_days_in_words(closed)}.")
    return " ".join(parts)
