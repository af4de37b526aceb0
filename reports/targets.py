"""SMART targets: loaded from a YAML file (reports/targets.yml, or KPI_TARGETS_FILE), judged
per week, month and quarter against the figures from reports.kpis.

A target names one measure below, a comparison and a value. Rates are fractions (0.40 = 40%),
times are minutes. A period with nothing to measure is "no data", never "met".
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from reports import kpis
from reports.kpis import ALL, Rate

DEFAULT_FILE = Path(__file__).with_name("targets.yml")
COMPARISONS = (">=", "<=")


@dataclass(frozen=True)
class Figure:
    value: float | None
    numerator: float | str = ""
    denominator: float | str = ""


def _rate(rate: Rate) -> Figure:
    return Figure(rate.value, rate.numerator, rate.denominator)


def _minutes(seconds: float | None, count: int) -> Figure:
    return Figure(None if seconds is None else seconds / 60, "", count)


@dataclass(frozen=True)
class Measure:
    title: str
    unit: str  # "percent", "minutes", "score" or "number"
    read: Callable[[kpis.Report], Figure]


MEASURES: dict[str, Measure] = {
    "resolved_rate": Measure("Resolved by the assistant", "percent",
                             lambda r: _rate(r.outcomes["resolved"][ALL])),
    "abandoned_rate": Measure("Abandoned", "percent",
                              lambda r: _rate(r.outcomes["abandoned"][ALL])),
    "handed_over_rate": Measure("Handed to a person", "percent",
                                lambda r: _rate(r.outcomes["handed_over"][ALL])),
    "repeat_rate": Measure("Repeat contact within 7 days", "percent",
                           lambda r: _rate(r.repeat[ALL])),
    "helpful_rate": Measure("Said the answer helped", "percent",
                            lambda r: _rate(r.helpful[ALL])),
    "satisfaction_average": Measure(
        "Average satisfaction (1 to 5)", "score",
        lambda r: Figure(r.satisfaction[ALL].value, r.satisfaction[ALL].total,
                         r.satisfaction[ALL].count)),
    "time_to_answer_p90": Measure(
        "Time to answer, 90th percentile", "minutes",
        lambda r: _minutes(r.advisor[ALL].time_to_answer.p90, r.advisor[ALL].time_to_answer.count)),
    "time_to_answer_median": Measure(
        "Time to answer, median", "minutes",
        lambda r: _minutes(r.advisor[ALL].time_to_answer.median,
                           r.advisor[ALL].time_to_answer.count)),
    "handle_time_median": Measure(
        "Handle time, median", "minutes",
        lambda r: _minutes(r.advisor[ALL].handle_time.median, r.advisor[ALL].handle_time.count)),
    "callbacks_on_time_rate": Measure("Callbacks made on time", "percent",
                                      lambda r: _rate(r.advisor[ALL].callbacks_on_time)),
    "conversations_per_advisor_hour": Measure(
        "Conversations per advisor-hour", "number",
        lambda r: _rate(r.advisor[ALL].per_advisor_hour)),
    "fallback_rate": Measure("Messages not understood", "percent",
                             lambda r: _rate(r.fallback[ALL])),
}


class TargetsError(ValueError):
    """The targets file is wrong: the message says where and how to fix it."""


@dataclass(frozen=True)
class Target:
    measure: str
    comparison: str
    value: float
    owner: str = ""
    why: str = ""

    @property
    def title(self) -> str:
        return MEASURES[self.measure].title

    @property
    def unit(self) -> str:
        return MEASURES[self.measure].unit

    def met(self, value: float | None) -> bool | None:
        if value is None:
            return None
        return value >= self.value if self.comparison == ">=" else value <= self.value

    def describe(self) -> str:
        words = "at least" if self.comparison == ">=" else "at most"
        return f"{words} {show(self.value, self.unit)}"


@dataclass(frozen=True)
class Targets:
    targets: tuple[Target, ...]
    callback_due: timedelta
    review: str = ""


def show(value: float | None, unit: str) -> str:
    """A figure as people read it: 42.0%, 3.5 minutes, 4.20 out of 5."""
    if value is None:
        return "no data"
    if unit == "percent":
        return kpis.percent(value)
    if unit == "minutes":
        return f"{value:.1f} minutes"
    if unit == "score":
        return f"{value:.2f} out of 5"
    return f"{value:.2f}"


def targets_path() -> Path:
    return Path(os.environ.get("KPI_TARGETS_FILE") or DEFAULT_FILE)


def load_targets(path: Path | None = None) -> Targets:
    path = path or targets_path()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise TargetsError(f"{path}: cannot read the targets file ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise TargetsError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("targets"), list):
        raise TargetsError(f"{path}: expected a mapping with a 'targets' list")
    out = []
    for number, item in enumerate(data["targets"], start=1):
        where = f"{path}: target {number}"
        if not isinstance(item, dict):
            raise TargetsError(f"{where}: expected a mapping with measure, comparison, value")
        measure = item.get("measure")
        if measure not in MEASURES:
            raise TargetsError(f"{where}: unknown measure {measure!r}; choose one of "
                               + ", ".join(MEASURES))
        if item.get("comparison") not in COMPARISONS:
            raise TargetsError(f"{where}: comparison must be '>=' or '<='")
        value = item.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TargetsError(f"{where}: value must be a number (rates as 0.40 for 40%)")
        if MEASURES[measure].unit == "percent" and not 0 <= value <= 1:
            raise TargetsError(f"{where}: {measure} is a rate: write 40% as 0.40")
        out.append(Target(measure, item["comparison"], float(value),
                          str(item.get("owner") or ""), str(item.get("why") or "")))
    hours = data.get("callback_due_hours", 24)
    if isinstance(hours, bool) or not isinstance(hours, int | float) or hours <= 0:
        raise TargetsError(f"{path}: callback_due_hours must be a positive number")
    return Targets(tuple(out), timedelta(hours=hours), str(data.get("review") or ""))


# --- periods ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    kind: str  # "week", "month" or "quarter"
    label: str
    since: datetime
    until: datetime


def periods_for(day: date) -> list[Period]:
    """The ISO week, calendar month and calendar quarter containing `day` (UTC)."""
    monday = day - timedelta(days=day.weekday())
    month = date(day.year, day.month, 1)
    next_month = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    q = (day.month - 1) // 3
    quarter = date(day.year, q * 3 + 1, 1)
    next_quarter = date(day.year + (q == 3), (q * 3 + 3) % 12 + 1, 1)

    def at(d: date) -> datetime:
        return datetime(d.year, d.month, d.day)

    return [
        Period("week", f"Week of {monday:%-d %B %Y}", at(monday), at(monday + timedelta(7))),
        Period("month", f"{month:%B %Y}", at(month), at(next_month)),
        Period("quarter", f"Q{q + 1} {day.year} ({quarter:%B} to "
                          f"{next_quarter - timedelta(1):%B})", at(quarter), at(next_quarter)),
    ]


@dataclass(frozen=True)
class Judged:
    target: Target
    period: Period
    figure: Figure

    @property
    def met(self) -> bool | None:
        return self.target.met(self.figure.value)

    @property
    def status(self) -> str:
        return {True: "Met", False: "Not met", None: "No data"}[self.met]


def judge(s: Session, targets: Targets, day: date, *, now: datetime | None = None,
          abandon_after: timedelta = kpis.DEFAULT_ABANDON_AFTER) -> list[Judged]:
    """Every target for the week, month and quarter containing `day`."""
    out = []
    for period in periods_for(day):
        report = kpis.compute(s, since=period.since, until=period.until, now=now,
                              abandon_after=abandon_after, callback_due=targets.callback_due)
        out.extend(Judged(t, period, MEASURES[t.measure].read(report)) for t in targets.targets)
    return out
