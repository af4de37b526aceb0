"""Opening hours as a council writes them (OPENING_HOURS), as residents are told them, and
whether advisors are working at a given moment. The assistant and the router read them alike."""

from __future__ import annotations

from datetime import datetime

import pytest

from handoff.availability import OpeningHours
from services.hours import describe_opening_hours, is_open_now, parse_opening_hours

LONDON = OpeningHours.parse("Mon-Sun 00:00-24:00").tz


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A moment in London on 23-29 November 2026 (day 23 is a Monday)."""
    return datetime(2026, 11, day, hour, minute, second, tzinfo=LONDON)


def test_a_24_hour_service_is_open_in_the_last_minute_of_the_day_and_at_midnight():
    spec = "Mon-Sun 00:00-24:00"
    for moment in (at(26, 23, 59, 30), at(27, 0, 0), at(26, 12, 0)):
        assert is_open_now(spec, moment)
        assert OpeningHours.parse(spec).is_open(moment)


def test_a_24_hour_service_is_described_as_open_all_day():
    assert describe_opening_hours("Mon-Sun 00:00-24:00") == "Monday to Sunday, all day."
    assert OpeningHours.parse("Mon-Fri 00:00-24:00").describe() == "Monday to Friday, all day"


def test_closing_at_24_00_on_some_days_only_reads_as_midnight():
    spec = "Mon-Fri 09:00-17:00; Sat 18:00-24:00"
    assert describe_opening_hours(spec) == (
        "Monday to Friday, 9am to 5pm. Saturday, 6pm to midnight. Closed on Sunday."
    )
    assert is_open_now(spec, at(28, 23, 59))
    assert not is_open_now(spec, at(29, 0, 1))  # Sunday: closed


def test_closing_time_itself_is_closed():
    spec = "Mon-Fri 09:00-17:00"
    assert is_open_now(spec, at(26, 16, 59))
    assert not is_open_now(spec, at(26, 17, 0))
    assert not OpeningHours.parse(spec).is_open(at(26, 17, 0))
    assert not is_open_now(spec, at(26, 8, 59))


@pytest.mark.parametrize("spec", ["Mon-Fri 17:00-09:00", "Mon 09:00-09:00"])
def test_hours_that_close_before_they_open_are_refused(spec):
    with pytest.raises(ValueError, match="close before they open"):
        parse_opening_hours(spec)


@pytest.mark.parametrize("spec", ["Mon 24:00-24:00", "Mon 09:00-25:00", "Mon 09:60-17:00"])
def test_times_that_are_not_times_of_day_are_refused_clearly(spec):
    with pytest.raises(ValueError, match="is not a time of day"):
        parse_opening_hours(spec)
