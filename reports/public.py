"""Public pages about the assistant, for residents and the governance board. No sign-in.

GET /about-this-assistant        the Algorithmic Transparency Recording Standard record, in plain
                                 English, with the latest published month's figures
GET /about-this-assistant.json   the same record with the ATRS field names
GET /privacy                     the privacy notice; its version is DATA_NOTICE_VERSION
GET /performance(.csv|.json)     monthly outcomes by channel; small counts suppressed

The words live in docs/transparency/*.yml (data, edited without code). Settings fill their
{placeholders}, so the retention periods and notice version published are the ones in force.
Every page works without JavaScript.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from flask import Blueprint, Response, current_app, jsonify, render_template
from markupsafe import Markup

from reports import kpis
from reports.kpis import ALL, Rate
from reports.views import Bar, bar_chart
from storage.models import CHANNELS, Conversation, utcnow

bp = Blueprint("public", __name__, template_folder="templates")

TRANSPARENCY_DIR = Path(__file__).resolve().parents[1] / "docs" / "transparency"
SUPPRESS_BELOW = 10
MONTHS_SHOWN = 12
CHANNEL_NAMES = {"all": "All channels", "web": "Web chat", "phone": "Phone",
                 "sms": "Text message"}


# --- the data files ------------------------------------------------------------------------------


def transparency_dir() -> Path:
    return Path(os.environ.get("TRANSPARENCY_DIR") or TRANSPARENCY_DIR)


def _placeholders(settings: Any) -> dict[str, str]:
    return {
        "council": settings.council_name,
        "council_phone": settings.council_phone,
        "council_website": settings.council_website,
        "retention_days": str(settings.retention_days),
        "data_use_retention_days": str(settings.data_use_retention_days),
        "notice_version": settings.data_notice_version,
    }


def fill(value: Any, values: dict[str, str]) -> Any:
    """Every string in a loaded YAML tree with its {placeholders} replaced."""
    if isinstance(value, str):
        return value.format_map(values)
    if isinstance(value, list):
        return [fill(v, values) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, values) for k, v in value.items()}
    return value


def load(name: str, settings: Any) -> dict[str, Any]:
    data = yaml.safe_load((transparency_dir() / name).read_text(encoding="utf-8"))
    return fill(data, _placeholders(settings))


# --- published figures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    """One published figure: its value, or suppressed because it rests on too few people."""

    value: float | int | None
    suppressed: bool = False

    def text(self, unit: str) -> str:
        if self.suppressed:
            return "fewer than 10"
        if self.value is None:
            return "–"
        if unit == "percent":
            return kpis.percent(self.value)
        if unit == "minutes":
            return f"{self.value:.1f} minutes"
        if unit == "score":
            return f"{self.value:.1f} out of 5"
        return f"{self.value:,}"

    def plain(self) -> float | int | str | None:
        """For CSV and JSON: the number, "suppressed", or None when there was nothing."""
        if self.suppressed:
            return "suppressed"
        if isinstance(self.value, float):
            return round(self.value, 3)
        return self.value


def count(n: int) -> Published:
    return Published(None, True) if 0 < n < SUPPRESS_BELOW else Published(n)


def rate(r: Rate) -> Published:
    """Shown only out of at least 10 people, and when the people counted are 0 or at least 10."""
    if r.denominator == 0:
        return Published(None)
    if r.denominator < SUPPRESS_BELOW or 0 < r.numerator < SUPPRESS_BELOW:
        return Published(None, True)
    return Published(r.value)


def based_on(value: float | None, people: int) -> Published:
    if people == 0:
        return Published(None)
    return Published(None, True) if people < SUPPRESS_BELOW else Published(value)


def _rate_of(table: dict[kpis.Key, Rate], key: kpis.Key) -> Published:
    return rate(table.get(key, Rate(0, 0)))


def _satisfaction(r: kpis.Report, key: kpis.Key) -> Published:
    avg = r.satisfaction.get(key, kpis.Average(0, 0))
    return based_on(avg.value, avg.count)


def _wait_p90(r: kpis.Report, key: kpis.Key) -> Published:
    waits = r.advisor.get(key, kpis.AdvisorFigures()).time_to_answer
    return based_on(None if waits.p90 is None else waits.p90 / 60, waits.count)


# measure -> (title, unit, read from a Report for one group; a channel nobody used reads 0)
MEASURES: dict[str, tuple[str, str, Any]] = {
    "conversations": ("Conversations", "number",
                      lambda r, k: count(r.conversations.get(k, 0))),
    "resolved_rate": ("Resolved by the assistant", "percent",
                      lambda r, k: _rate_of(r.outcomes["resolved"], k)),
    "handed_over_rate": ("Handed to a person", "percent",
                         lambda r, k: _rate_of(r.outcomes["handed_over"], k)),
    "abandoned_rate": ("Gave up before getting an answer (abandoned)", "percent",
                       lambda r, k: _rate_of(r.outcomes["abandoned"], k)),
    "repeat_rate": ("Contacted us again within 7 days", "percent",
                    lambda r, k: _rate_of(r.repeat, k)),
    "helpful_rate": ("Said the answer helped", "percent",
                     lambda r, k: _rate_of(r.helpful, k)),
    "satisfaction_average": ("Average satisfaction score", "score", _satisfaction),
    "time_to_answer_p90_minutes": ("Time to reach a person, 9 in 10 within", "minutes",
                                   _wait_p90),
}


@dataclass
class MonthRow:
    month: date
    channel: str
    figures: dict[str, Published]

    @property
    def label(self) -> str:
        return f"{self.month:%B %Y}"


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _secondary_suppression(rows: list[MonthRow]) -> None:
    """If exactly one channel's count is hidden, the total minus the others would show it:
    hide the next smallest channel's count too."""
    for measure in ("conversations",):
        channel_rows = [r for r in rows if r.channel != "all"]
        hidden = [r for r in channel_rows if r.figures[measure].suppressed]
        shown = [r for r in channel_rows if not r.figures[measure].suppressed
                 and r.figures[measure].value]
        if len(hidden) == 1 and shown:
            smallest = min(shown, key=lambda r: r.figures[measure].value)
            smallest.figures[measure] = Published(None, True)


def monthly(s: Any, *, today: date | None = None, months: int = MONTHS_SHOWN,
            abandon_after: timedelta = kpis.DEFAULT_ABANDON_AFTER) -> list[MonthRow]:
    """Complete calendar months with any conversations, newest first, within the last
    `months`, each for all channels and each channel."""
    today = today or utcnow().date()
    first = s.query(Conversation.created_at).order_by(Conversation.created_at).limit(1).scalar()
    if first is None:
        return []
    month = date(today.year, today.month, 1)
    out: list[MonthRow] = []
    for _ in range(months):
        month = date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)
        if _next_month(month) <= first.date().replace(day=1):
            break
        since = datetime(month.year, month.month, 1)
        end = _next_month(month)
        report = kpis.compute(s, since=since, until=datetime(end.year, end.month, 1),
                              abandon_after=abandon_after)
        if not report.conversations[ALL]:
            continue  # a month nobody used the assistant has nothing to publish
        rows = [MonthRow(month, group, {m: read(report, key) for m, (_t, _u, read)
                                        in MEASURES.items()})
                for group, key in [("all", ALL)] + [(c, ("channel", c)) for c in CHANNELS]]
        _secondary_suppression(rows)
        out.extend(rows)
    return out


def rows_as_dicts(rows: list[MonthRow]) -> list[dict[str, Any]]:
    return [{"month": f"{r.month:%Y-%m}", "channel": r.channel,
             **{m: f.plain() for m, f in r.figures.items()}} for r in rows]


# --- views ---------------------------------------------------------------------------------------


def _settings() -> Any:
    return current_app.extensions["settings"]


# Published months change slowly (only "came back" and late endings move them), and working
# them out is a dozen passes over the month's conversations: anyone may ask, so each worker
# keeps the answer for a while. Keyed by database and day.
CACHE_SECONDS = 600
_cache: dict[tuple[str, date], tuple[datetime, list[MonthRow]]] = {}


def _monthly() -> list[MonthRow]:
    db = current_app.extensions["db"]
    now = utcnow()
    key = (db.url, now.date())
    cached = _cache.get(key)
    if cached and cached[0] > now:
        return cached[1]
    lifetime = current_app.permanent_session_lifetime
    window = lifetime if isinstance(lifetime, timedelta) else timedelta(seconds=int(lifetime))
    with db.session() as s:
        rows = monthly(s, abandon_after=window)
    _cache.clear()  # one entry: yesterday's answer is never needed again
    _cache[key] = (now + timedelta(seconds=CACHE_SECONDS), rows)
    return rows


def _latest(rows: list[MonthRow]) -> MonthRow | None:
    """The newest full month in which anyone used the assistant."""
    return next((r for r in rows if r.channel == "all"
                 and (r.figures["conversations"].value or r.figures["conversations"].suppressed)),
                None)


def atrs_record() -> tuple[dict[str, Any], MonthRow | None]:
    record = load("atrs.yml", _settings())
    latest = _latest(_monthly())
    record["latest_performance"] = (
        {"month": f"{latest.month:%Y-%m}", "channel": "all",
         **{m: f.plain() for m, f in latest.figures.items()},
         "definitions": "/performance", "suppression": "Figures based on fewer than 10 "
         "people are shown as 'suppressed'."}
        if latest else None)
    return record, latest


@bp.get("/about-this-assistant")
def about():
    record, latest = atrs_record()
    return render_template("public/about.html", record=record, latest=latest,
                           measures=MEASURES, settings=_settings())


@bp.get("/about-this-assistant.json")
def about_json():
    record, _latest_row = atrs_record()
    return jsonify(record)


@bp.get("/privacy")
def privacy():
    settings = _settings()
    notice = load("privacy-notice.yml", settings)
    version = settings.data_notice_version
    published = next((c for c in notice.get("changes", []) if c["version"] == version), None)
    return render_template("public/privacy.html", notice=notice, version=version,
                           published=published)


def trend_chart(rows: list[MonthRow]) -> Markup:
    months = [r for r in rows if r.channel == "all"][::-1]
    return bar_chart(
        "chart-public-resolved", "Resolved by the assistant, each month, all channels",
        "Bar chart of the percentage of conversations resolved by the assistant each month. "
        "Months based on too few conversations have no bar. The same figures are in the "
        "tables that follow.",
        [Bar(r.label, r.figures["resolved_rate"].value,
             r.figures["resolved_rate"].text("percent")) for r in months], max_value=1)


@bp.get("/performance")
def performance():
    rows = _monthly()
    months = sorted({r.month for r in rows}, reverse=True)
    return render_template("public/performance.html", rows=rows, months=months,
                           measures=MEASURES, channels=CHANNEL_NAMES,
                           chart=trend_chart(rows) if rows else None)


@bp.get("/performance.json")
def performance_json():
    return jsonify({
        "description": "Monthly figures for the contact assistant, by channel. Rates are "
                       "fractions (0.25 is 25%). 'suppressed' means based on fewer than 10 "
                       "people. Definitions: /about-this-assistant and docs/kpis.md.",
        "measures": {m: {"title": t, "unit": u} for m, (t, u, _r) in MEASURES.items()},
        "rows": rows_as_dicts(_monthly()),
    })


@bp.get("/performance.csv")
def performance_csv():
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["month", "channel", *MEASURES])
    for row in rows_as_dicts(_monthly()):
        writer.writerow(["" if v is None else v for v in row.values()])
    return Response(buffer.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="contact-assistant-performance.csv"'})
