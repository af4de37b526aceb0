"""KPI reports for supervisors and admins: /advisor/reports and /advisor/reports/<metric>.csv.

Charts are accessible SVG drawn on the server (role="img", <title>, <desc>), each with a data
table beside it, so the page needs no JavaScript. The CSV downloads are for the governance board.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import wraps
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from core.vocabulary import HANDOFF_REASONS, OPTOUT_SCOPES, REASON_LABELS, SCOPE_LABELS
from reports import kpis as reports
from reports import targets as smart
from reports.outcomes import OUTCOME_TITLES, OUTCOMES
from storage.models import INCLUSION_NEEDS, INCLUSION_OFFERS, utcnow

bp = Blueprint("reports", __name__, url_prefix="/advisor/reports", template_folder="templates")

REPORT_ROLES = ("supervisor", "admin")
PERIODS = {"4": "Last 4 weeks", "12": "Last 12 weeks", "26": "Last 26 weeks",
           "52": "Last 52 weeks", "all": "All time"}
DEFAULT_PERIOD = "12"
REASON_NAMES = {"any": "Any reason", **REASON_LABELS}
OUTCOME_ROWS = (*OUTCOMES, "abandoned_in_queue")
INCLUSION_NAMES = {
    "all": "Residents recorded",
    "need:no_internet": "No internet at home", "need:no_device": "No device",
    "need:no_skills": "Not confident using one", "need:cannot_afford": "Cannot afford it",
    "need:other": "Another reason",
    "offer:tea_and_tech": "Chose Tea and Tech sessions",
    "offer:device_lending": "Chose device lending",
    "offer:callback": "Chose a call back from the team", "offer:none": "Chose no help for now",
}
OUTCOME_NAMES = {**OUTCOME_TITLES, "abandoned_in_queue": "Abandoned in the queue"}


def supervisors_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """Signed-in supervisors and admins; anyone else signed in gets 403."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if getattr(current_user, "role", None) not in REPORT_ROLES:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


# --- period ------------------------------------------------------------------------------------


def period_bounds(period: str, now: datetime | None = None) -> tuple[datetime | None, str]:
    """`since` for a period: whole ISO weeks ending with the current one."""
    if period not in PERIODS:
        period = DEFAULT_PERIOD
    if period == "all":
        return None, period
    now = now or utcnow()
    monday = datetime(now.year, now.month, now.day) - timedelta(days=now.weekday())
    return monday - timedelta(weeks=int(period) - 1), period


def abandon_after() -> timedelta:
    """A conversation idle for longer than a web session lasts can no longer continue."""
    lifetime = current_app.permanent_session_lifetime
    return lifetime if isinstance(lifetime, timedelta) else timedelta(seconds=int(lifetime))


# --- SVG charts ---------------------------------------------------------------------------------

BAR_COLOUR = "#1d70b8"
TEXT_COLOUR = "#0b0c0c"
GRID_COLOUR = "#b1b4b6"
FONT = "arial, sans-serif"


@dataclass
class Bar:
    label: str
    value: float | None
    text: str


def bar_chart(chart_id: str, title: str, description: str, bars: list[Bar],
              max_value: float | None = None, target: float | None = None) -> Markup:
    """A horizontal bar chart as accessible SVG: role="img", labelled by its <title> and <desc>.

    Presentation attributes only (no style attributes), so it works under the strict CSP.
    `target` draws a dashed line across the bars (the description must say what it is).
    """
    label_w, bar_w, value_w, row_h, pad = 260, 500, 140, 30, 8
    width = label_w + bar_w + value_w
    height = pad * 2 + row_h * max(len(bars), 1)
    top = max([b.value for b in bars if b.value is not None] + [max_value or 0, target or 0, 0])
    scale = bar_w / top if top else 0
    cid = escape(chart_id)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" role="img" '
        f'aria-labelledby="{cid}-title {cid}-desc" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" focusable="false" '
        f'font-family="{FONT}" font-size="16">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(description)}</desc>',
        f'<line x1="{label_w}" y1="{pad}" x2="{label_w}" y2="{height - pad}" '
        f'stroke="{GRID_COLOUR}" stroke-width="1"/>',
    ]
    if not bars:
        parts.append(f'<text x="{label_w + 8}" y="{pad + 19}" fill="{TEXT_COLOUR}">No data</text>')
    for i, bar in enumerate(bars):
        y = pad + i * row_h
        length = round((bar.value or 0) * scale, 1)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 20}" text-anchor="end" fill="{TEXT_COLOUR}">'
            f"{escape(bar.label)}</text>"
        )
        if length > 0:
            parts.append(f'<rect x="{label_w}" y="{y + 5}" width="{length}" height="{row_h - 10}" '
                         f'fill="{BAR_COLOUR}"/>')
        parts.append(f'<text x="{label_w + length + 6}" y="{y + 20}" fill="{TEXT_COLOUR}">'
                     f"{escape(bar.text)}</text>")
    if target is not None and scale:
        x = round(label_w + target * scale, 1)
        parts.append(f'<line x1="{x}" y1="{pad}" x2="{x}" y2="{height - pad}" '
                     f'stroke="{TEXT_COLOUR}" stroke-width="2" stroke-dasharray="6 4"/>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every dynamic value above is escaped


# --- view models ----------------------------------------------------------------------------------


@dataclass
class Table:
    caption: str
    head: list[str]
    rows: list[list[str]]


@dataclass
class Section:
    metric: str
    title: str
    definition: str
    charts: list[Markup] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


def duration(seconds: float | None) -> str:
    """'2 min 30 s' for people; '–' when there is nothing to measure."""
    if seconds is None:
        return "–"
    minutes, secs = divmod(round(seconds), 60)
    if minutes >= 60:
        return f"{minutes // 60} h {minutes % 60} min"
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60


def _count_of(rate: reports.Rate) -> str:
    return f"{rate.numerator} of {rate.denominator} ({reports.percent(rate.value)})"


def _rate_bar(label: str, rate: reports.Rate) -> Bar:
    """A bar for a rate: its length the fraction, its text the percentage."""
    return Bar(label, rate.value, reports.percent(rate.value))


def _rate_rows(rates: dict[reports.Key, reports.Rate],
               keys: list[reports.Key]) -> list[list[str]]:
    """Table rows for a rate by group: the group, what was counted, out of how many, the rate."""
    return [[reports.label(k), str(rates[k].numerator), str(rates[k].denominator),
             reports.percent(rates[k].value)] for k in keys]


def _category_bars(names: dict[str, str], rates: dict[str, dict[reports.Key, reports.Rate]],
                   categories: Iterable[str]) -> list[Bar]:
    """A bar per category (an outcome, a reason, a scope): its rate over all channels."""
    return [_rate_bar(names[c], rates[c][reports.ALL]) for c in categories]


def _category_rows(names: dict[str, str], rates: dict[str, dict[reports.Key, reports.Rate]],
                   categories: Iterable[str], by_channel: list[reports.Key]) -> list[list[str]]:
    """A row per category: its name, then "n of m (p%)" for all channels and each channel."""
    return [[names[c]] + [_count_of(rates[c][k]) for k in by_channel] for c in categories]


def _average(avg: reports.Average) -> str:
    return "–" if avg.value is None else f"{avg.value:.2f} ({avg.count} scores)"


def _groups(report: reports.Report, dimension: str) -> list[reports.Key]:
    return [k for k in report.groups() if k[0] in (("all", "channel") if dimension == "channel"
                                                   else ("week",))]


def _week_short(key: reports.Key) -> str:
    return reports.week_monday(key[1]).strftime("%-d %b")


@dataclass(frozen=True)
class RateMeasure:
    """A measure shown as one rate per group: a chart of the rate, by channel or by week, and a
    table of what was counted out of how many, by channel and week."""

    metric: str
    title: str
    definition: str
    chart_title: str
    chart_description: str
    caption: str
    counted: str
    out_of: str
    chart_by_week: bool = False
    max_value: float | None = 1


REPEAT = RateMeasure(
    "repeat", "Repeat contact within 7 days",
    "Conversations after which the same person (matched by a pseudonym, never their number) "
    "contacted us again within 7 days, out of conversations ended.",
    "Repeat contact by channel",
    "Bar chart of the percentage of conversations followed by another contact within 7 days, "
    "for all channels and each channel. The same figures are in the table that follows.",
    "Repeat contact by channel and week", "Came back", "Conversations ended")
HELPFUL = RateMeasure(
    "helpful", "Did the answer help?",
    "Answers to \"Did that answer your question?\" after an answer from the council's service "
    "information: how many said yes, out of all who answered.",
    "Answers that helped, by channel",
    "Bar chart of the percentage of residents who said an answer helped, for all channels and "
    "each channel. The same figures are in the table that follows.",
    "Answers that helped, by channel and week", "Said yes", "Answered")
FALLBACK = RateMeasure(
    "fallback", "Fallback rate",
    "Resident messages the assistant did not understand (nlu_fallback), out of resident "
    "messages the assistant classified.",
    "Fallback rate by week",
    "Bar chart of the percentage of resident messages not understood, each week. The same "
    "figures are in the table that follows.",
    "Fallback rate by channel and week", "Not understood", "Messages",
    chart_by_week=True, max_value=None)


def _rate_section(measure: RateMeasure, rates: dict[reports.Key, reports.Rate],
                  by_channel: list[reports.Key], by_week: list[reports.Key],
                  period_text: str) -> Section:
    s = Section(measure.metric, measure.title, measure.definition)
    if measure.chart_by_week:
        chart_id, bars = "week", [_rate_bar(_week_short(k), rates[k]) for k in by_week]
    else:
        chart_id, bars = "channel", [_rate_bar(reports.label(k), rates[k]) for k in by_channel]
    s.charts.append(bar_chart(f"chart-{measure.metric}-{chart_id}",
                              f"{measure.chart_title}, {period_text}", measure.chart_description,
                              bars, max_value=measure.max_value))
    s.tables.append(Table(measure.caption, ["Group", measure.counted, measure.out_of, "Rate"],
                          _rate_rows(rates, by_channel + by_week)))
    return s


def build_sections(report: reports.Report, period_text: str) -> list[Section]:
    by_channel = _groups(report, "channel")
    by_week = _groups(report, "week")
    sections: list[Section] = []

    # Conversations
    s = Section("conversations", "Conversations", "Conversations started in the period.")
    s.charts.append(bar_chart(
        "chart-conversations-week", f"Conversations by week, {period_text}",
        "Bar chart of the number of conversations started each week. The same figures are in "
        "the table that follows.",
        [Bar(_week_short(k), report.conversations[k], str(report.conversations[k]))
         for k in by_week]))
    s.tables.append(Table("Conversations by channel and week", ["Group", "Conversations"],
                          [[reports.label(k), str(report.conversations[k])]
                           for k in by_channel + by_week]))
    sections.append(s)

    # Outcomes (replaces "containment": no handoff ticket counted people who gave up)
    s = Section("outcomes", "Outcomes",
                "What happened in each conversation, one outcome each. Resolved by the "
                "assistant: the resident said an answer helped, or a report was made or a "
                "look-up answered, and they did not contact us again within 7 days. Abandoned: "
                "they left the queue before a person answered, or left a question from the "
                "assistant unanswered, or hung up. Rates are out of conversations that have "
                "ended; those still going, and chats where nothing was asked, are counted "
                "separately.")
    s.charts.append(bar_chart(
        "chart-outcomes", f"Outcomes, all channels, {period_text}",
        "Bar chart of the percentage of conversations with each outcome. The same figures are "
        "in the table that follows.",
        _category_bars(OUTCOME_NAMES, report.outcomes, OUTCOME_ROWS), max_value=1))
    s.tables.append(Table("Outcomes by channel",
                          ["Outcome"] + [reports.label(k) for k in by_channel],
                          _category_rows(OUTCOME_NAMES, report.outcomes, OUTCOME_ROWS, by_channel)
                          + [[OUTCOME_NAMES[o]] + [str(report.not_judged[o][k])
                                                   for k in by_channel]
                             for o in report.not_judged]))
    s.tables.append(Table("Resolved by the assistant and abandoned, by week",
                          ["Week", "Resolved", "Abandoned", "Conversations ended"],
                          [[reports.label(k),
                            reports.percent(report.outcomes["resolved"][k].value),
                            reports.percent(report.outcomes["abandoned"][k].value),
                            str(report.outcomes["resolved"][k].denominator)] for k in by_week]))
    sections.append(s)

    sections.append(_rate_section(REPEAT, report.repeat, by_channel, by_week, period_text))

    # Handoff by reason
    reasons = ["any", *HANDOFF_REASONS]
    s = Section("handoff", "Handoff rate by reason",
                "Conversations with a handoff ticket for each reason, out of all conversations. "
                "A conversation handed over twice for different reasons counts under both; "
                "'Any reason' counts it once.")
    s.charts.append(bar_chart(
        "chart-handoff-reason", f"Handoff rate by reason, all channels, {period_text}",
        "Bar chart of the percentage of conversations handed to a person, for each reason. "
        "The same figures are in the table that follows.",
        _category_bars(REASON_NAMES, report.handoff, reasons), max_value=1))
    s.tables.append(Table("Handoff rate by reason and channel",
                          ["Reason"] + [reports.label(k) for k in by_channel],
                          _category_rows(REASON_NAMES, report.handoff, reasons, by_channel)))
    s.tables.append(Table("Handoff rate (any reason) by week", ["Week", "Handed over", "Rate"],
                          [[reports.label(k), str(report.handoff["any"][k].numerator),
                            reports.percent(report.handoff["any"][k].value)] for k in by_week]))
    sections.append(s)

    # Opt-outs by scope
    s = Section("optout", "Opt-out rate by scope",
                "Opt-outs recorded in the register for each scope, out of all conversations. "
                "Withdrawals (residents changing their mind) are counted beside them.")
    s.charts.append(bar_chart(
        "chart-optout-scope", f"Opt-out rate by scope, all channels, {period_text}",
        "Bar chart of opt-outs per conversation, for each scope. The same figures are in the "
        "table that follows.",
        _category_bars(SCOPE_LABELS, report.optout, OPTOUT_SCOPES)))
    optout_rows = _category_rows(SCOPE_LABELS, report.optout, OPTOUT_SCOPES, by_channel)
    s.tables.append(Table("Opt-outs by scope and channel",
                          ["Scope"] + [reports.label(k) for k in by_channel] + ["Withdrawals"],
                          [row + [str(report.withdrawals[sc][reports.ALL])]
                           for sc, row in zip(OPTOUT_SCOPES, optout_rows, strict=True)]))
    s.tables.append(Table("Opt-outs by scope and week",
                          ["Week"] + [SCOPE_LABELS[sc] for sc in OPTOUT_SCOPES],
                          [[reports.label(k)] + [str(report.optout[sc][k].numerator)
                                                 for sc in OPTOUT_SCOPES] for k in by_week]))
    sections.append(s)

    # Satisfaction
    s = Section("satisfaction", "Satisfaction",
                "The average of residents' scores from 1 (very poor) to 5 (very good), and how "
                "many residents gave one.")
    s.charts.append(bar_chart(
        "chart-satisfaction-channel", f"Average satisfaction by channel, {period_text}",
        "Bar chart of the average score out of 5 for all channels and each channel. The same "
        "figures are in the table that follows.",
        [Bar(reports.label(k), report.satisfaction[k].value,
             _average(report.satisfaction[k])) for k in by_channel], max_value=5))
    s.tables.append(Table("Satisfaction by channel and week", ["Group", "Average", "Scores"],
                          [[reports.label(k),
                            "–" if report.satisfaction[k].value is None
                            else f"{report.satisfaction[k].value:.2f}",
                            str(report.satisfaction[k].count)] for k in by_channel + by_week]))
    sections.append(s)

    sections.append(_rate_section(HELPFUL, report.helpful, by_channel, by_week, period_text))

    # Advisor measures
    s = Section("advisor", "Advisor measures",
                "Time to answer: from joining the queue to an advisor taking the conversation. "
                "Handle time: from taking it to closing it. Both as the median and the 90th "
                "percentile. Callbacks on time: done within the due time, out of callbacks "
                "due. Conversations per advisor-hour: conversations taken, out of clock hours "
                "in which an advisor did something recorded.")
    s.charts.append(bar_chart(
        "chart-advisor-wait", f"Time to answer, 90th percentile, by week, {period_text}",
        "Bar chart of the time in minutes within which 9 in 10 answered residents were "
        "answered, each week. The same figures are in the table that follows.",
        [Bar(_week_short(k), _minutes(report.advisor[k].time_to_answer.p90),
             duration(report.advisor[k].time_to_answer.p90)) for k in by_week]))
    s.tables.append(Table(
        "Advisor measures by channel and week",
        ["Group", "Time to answer (median)", "Time to answer (90%)", "Handle time (median)",
         "Handle time (90%)", "Callbacks on time", "Conversations per advisor-hour"],
        [[reports.label(k), duration(a.time_to_answer.median), duration(a.time_to_answer.p90),
          duration(a.handle_time.median), duration(a.handle_time.p90),
          _count_of(a.callbacks_on_time),
          "–" if a.per_advisor_hour.value is None else f"{a.per_advisor_hour.value:.2f}"]
         for k in by_channel + by_week for a in [report.advisor[k]]]))
    sections.append(s)

    sections.append(_rate_section(FALLBACK, report.fallback, by_channel, by_week,
                                  period_text))

    # Top intents
    top = report.intents[reports.ALL]
    s = Section("intents", "Top intents",
                "What residents asked about most, by the intent the assistant recognised.")
    s.charts.append(bar_chart(
        "chart-intents", f"Top intents, all channels, {period_text}",
        "Bar chart of how many resident messages had each of the most common intents. The "
        "same figures are in the table that follows.",
        [Bar(intent, n, str(n)) for intent, n in top]))
    intent_rows = []
    for k in by_channel:
        intent_rows.append([reports.label(k), ", ".join(f"{i} ({n})" for i, n in
                                                        report.intents[k]) or "–"])
    s.tables.append(Table("Top intents by channel", ["Group", "Intents (messages)"], intent_rows))
    s.tables.append(Table("Top intents by week", ["Week", "Intents (messages)"],
                          [[reports.label(k), ", ".join(f"{i} ({n})" for i, n in
                                                        report.intents[k][:5]) or "–"]
                           for k in by_week]))
    sections.append(s)
    # Digital inclusion
    inclusion = report.inclusion
    s = Section("inclusion", "Digital inclusion",
                "Residents who said they cannot get online or use a device, and agreed that we "
                "record it, by what stops them and by the help they chose. Nothing else about "
                "them is kept. For the council's digital exclusion action plan.")
    s.charts.append(bar_chart(
        "chart-inclusion-need", f"What stops residents getting online, {period_text}",
        "Bar chart of how many residents gave each reason. The same figures are in the table "
        "that follows.",
        [Bar(INCLUSION_NAMES[f"need:{n}"], inclusion[f"need:{n}"][reports.ALL],
             str(inclusion[f"need:{n}"][reports.ALL])) for n in INCLUSION_NEEDS]))
    measures = ["all", *(f"need:{n}" for n in INCLUSION_NEEDS),
                *(f"offer:{o}" for o in INCLUSION_OFFERS)]
    s.tables.append(Table("Digital inclusion by channel",
                          ["Measure"] + [reports.label(k) for k in by_channel],
                          [[INCLUSION_NAMES[m]] + [str(inclusion[m][k]) for k in by_channel]
                           for m in measures]))
    s.tables.append(Table("Digital inclusion by week", ["Week", "Residents recorded"],
                          [[reports.label(k), str(inclusion["all"][k])] for k in by_week]))
    sections.append(s)
    return sections


# --- views ----------------------------------------------------------------------------------------


def _report() -> tuple[reports.Report, str]:
    since, period = period_bounds(request.args.get("period", DEFAULT_PERIOD))
    with current_app.extensions["db"].session() as s:
        report = reports.compute(s, since=since, abandon_after=abandon_after())
    return report, period


@bp.get("/")
@supervisors_only
def index():
    report, period = _report()
    sections = build_sections(report, PERIODS[period].lower())
    return render_template(
        "reports/index.html", sections=sections, report=report, period=period, periods=PERIODS,
        metric_titles=reports.METRIC_TITLES,
    )


def _csv_cell(value: object) -> object:
    # Spreadsheet formula injection: text cells never start with = + - @.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


@bp.get("/<metric>.csv")
@supervisors_only
def download(metric: str):
    if metric not in reports.METRICS:
        abort(404)
    report, period = _report()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in reports.csv_rows(report, metric):
        writer.writerow([_csv_cell(v) for v in row])
    filename = f"{metric}-{period}-{utcnow():%Y-%m-%d}.csv"
    return Response(
        buffer.getvalue(), mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )



# --- targets ------------------------------------------------------------------------------------


def _day() -> date:
    """The day whose week, month and quarter are shown: ?date=YYYY-MM-DD, or today."""
    try:
        return date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        return utcnow().date()


def _judged() -> tuple[smart.Targets, list[smart.Judged], date]:
    targets = smart.load_targets()
    day = _day()
    with current_app.extensions["db"].session() as s:
        judged = smart.judge(s, targets, day, abandon_after=abandon_after())
    return targets, judged, day


def target_chart(target: smart.Target, rows: list[smart.Judged]) -> Markup:
    percent = target.unit == "percent"
    return bar_chart(
        f"chart-target-{target.measure}", f"{target.title}: week, month and quarter",
        f"Bar chart of {target.title.lower()} for the week, the month and the quarter. The "
        f"dashed line is the target, {target.describe()}. The same figures are in the table "
        "that follows.",
        [Bar(j.period.label, j.figure.value, f"{smart.show(j.figure.value, target.unit)} "
             f"({j.status.lower()})") for j in rows],
        max_value=1 if percent else None, target=target.value)


@bp.get("/targets")
@supervisors_only
def targets_page():
    targets, judged, day = _judged()
    blocks = []
    for target in targets.targets:
        rows = [j for j in judged if j.target is target]
        blocks.append((target, target_chart(target, rows), rows))
    return render_template("reports/targets.html", targets=targets, blocks=blocks, day=day,
                           periods=smart.periods_for(day), show=smart.show)


@bp.get("/targets.csv")
@supervisors_only
def targets_csv():
    _targets, judged, day = _judged()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["measure", "comparison", "target", "period", "from", "to", "value",
                     "numerator", "denominator", "status"])
    for j in judged:
        value = "" if j.figure.value is None else f"{j.figure.value:.4f}"
        writer.writerow([j.target.measure, j.target.comparison, j.target.value, j.period.kind,
                         j.period.since.date().isoformat(),
                         (j.period.until - timedelta(days=1)).date().isoformat(), value,
                         j.figure.numerator, j.figure.denominator, j.status])
    return Response(buffer.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="targets-{day.isoformat()}.csv"'})
