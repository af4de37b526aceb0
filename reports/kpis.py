"""KPI figures for supervisors and the governance board, computed from the database.

Pure: `compute()` reads and never writes. Every figure is given overall, by channel and by ISO
week (UTC), as counts with their numerator and denominator so the board can check the sums.

Definitions (each one is what the CSV download and the page say):
- conversations: conversations started (by `created_at`).
- outcomes (reports.outcomes has the SQL and the full definitions): each conversation has one
  outcome: resolved by the assistant, came back within 7 days, handed to a person, abandoned or
  not resolved. Rates are out of judged conversations (those still in progress and web chats
  where nothing was asked are left out). "Abandoned in the queue" is the abandoned ones that
  had asked for a person. This replaces the old "containment" (no handoff ticket), which
  counted a resident who gave up and closed the tab as a success.
- repeat contact: judged conversations whose person (`outcomes.person()`: the verified phone
  number's pseudonym, else the conversation's own keyed pseudonym) started another
  conversation within 7 days / judged conversations.
- answer helpful: "yes" answers to "Did that answer your question?" / all answers.
- advisor measures: time to answer (queued -> claimed) and handle time (claimed -> closed) as
  median and 90th percentile (nearest rank), callbacks done within the due time / callbacks
  due, and tickets claimed per advisor-hour (a clock hour in which an advisor did something
  recorded: sent a message, claimed or closed a ticket).
- handoff rate by reason: conversations with at least one ticket for that reason / all
  conversations ("any" counts conversations with any ticket once).
- opt-out rate by scope: opt-out events (action opt_out) in the register / conversations.
  Events are placed by their own channel and time. Withdrawals are counted alongside.
- satisfaction: the average of residents' 1-5 scores, and how many scores there were.
- digital inclusion: residents who said they cannot get online and agreed to it being
  recorded, counted by what stops them (need) and by the help they chose (offer). Anonymous.
- fallback rate: resident messages whose intent was nlu_fallback / resident messages with an
  intent. Messages are placed by their conversation's channel and their own time.
- top intents: the most common intents of resident messages (nlu_fallback is reported by the
  fallback rate, not here).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from reports import outcomes as sql
from reports.outcomes import OUTCOMES
from storage.models import (
    CHANNELS,
    HANDOFF_REASONS,
    INCLUSION_NEEDS,
    INCLUSION_OFFERS,
    OPTOUT_SCOPES,
    Conversation,
    HandoffTicket,
    Message,
    OptOutEvent,
    utcnow,
)

FALLBACK_INTENT = "nlu_fallback"
METRICS = ("conversations", "outcomes", "repeat", "handoff", "optout", "satisfaction",
           "helpful", "advisor", "fallback", "intents", "inclusion")
METRIC_TITLES = {
    "conversations": "Conversations",
    "outcomes": "Outcomes",
    "repeat": "Repeat contact within 7 days",
    "helpful": "Did the answer help?",
    "advisor": "Advisor measures",
    "handoff": "Handoff rate by reason",
    "optout": "Opt-out rate by scope",
    "satisfaction": "Satisfaction",
    "fallback": "Fallback rate",
    "intents": "Top intents",
    "inclusion": "Digital inclusion",
}
CHANNEL_NAMES = {"web": "Web chat", "phone": "Phone", "sms": "SMS"}
ALL = ("all", "all")

# (dimension, group): ("all", "all"), ("channel", "web"), ("week", "2026-W03")
Key = tuple[str, str]


def iso_week(when: datetime | date) -> str:
    year, week, _ = when.isocalendar()
    return f"{year}-W{week:02d}"


def week_monday(label: str) -> date:
    year, week = label.split("-W")
    return date.fromisocalendar(int(year), int(week), 1)


def weeks_between(first: str, last: str) -> list[str]:
    """Every ISO week from `first` to `last`, so charts show empty weeks as zero."""
    out, day, end = [], week_monday(first), week_monday(last)
    while day <= end:
        out.append(iso_week(day))
        day += timedelta(days=7)
    return out


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


class Average(Rate):
    """A mean score: the total of the scores over how many were given. The arithmetic is a
    rate's (None when there is nothing to divide by), under a mean's names."""

    @property
    def total(self) -> int:
        return self.numerator

    @property
    def count(self) -> int:
        return self.denominator


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least q of the values at or below."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 1))  # ceil(n * q), at least 1
    return ordered[int(rank) - 1]


@dataclass(frozen=True)
class Durations:
    """Seconds for each ticket (time to answer, or handle time)."""

    seconds: tuple[float, ...] = ()

    @property
    def count(self) -> int:
        return len(self.seconds)

    @property
    def median(self) -> float | None:
        return percentile(list(self.seconds), 0.5)

    @property
    def p90(self) -> float | None:
        return percentile(list(self.seconds), 0.9)


@dataclass(frozen=True)
class AdvisorFigures:
    time_to_answer: Durations = Durations()
    handle_time: Durations = Durations()
    callbacks_on_time: Rate = Rate(0, 0)
    tickets_claimed: int = 0
    advisor_hours: int = 0

    @property
    def per_advisor_hour(self) -> Rate:
        return Rate(self.tickets_claimed, self.advisor_hours)


@dataclass
class Report:
    since: datetime | None
    until: datetime | None
    channels: list[str]
    weeks: list[str]
    conversations: dict[Key, int] = field(default_factory=dict)
    # outcome -> group -> Rate out of judged conversations; plus "abandoned_in_queue"
    outcomes: dict[str, dict[Key, Rate]] = field(default_factory=dict)
    not_judged: dict[str, dict[Key, int]] = field(default_factory=dict)
    repeat: dict[Key, Rate] = field(default_factory=dict)
    helpful: dict[Key, Rate] = field(default_factory=dict)
    advisor: dict[Key, AdvisorFigures] = field(default_factory=dict)
    # "need:<code>" or "offer:<code>" (and "all") -> group -> count
    inclusion: dict[str, dict[Key, int]] = field(default_factory=dict)
    handoff: dict[str, dict[Key, Rate]] = field(default_factory=dict)  # reason ("any") -> ...
    optout: dict[str, dict[Key, Rate]] = field(default_factory=dict)  # scope -> ...
    withdrawals: dict[str, dict[Key, int]] = field(default_factory=dict)
    satisfaction: dict[Key, Average] = field(default_factory=dict)
    fallback: dict[Key, Rate] = field(default_factory=dict)
    intents: dict[Key, list[tuple[str, int]]] = field(default_factory=dict)

    def groups(self) -> list[Key]:
        return ([ALL] + [("channel", c) for c in self.channels]
                + [("week", w) for w in self.weeks])

    def rows(self, metric: str) -> list[dict[str, object]]:
        """Flat rows for CSV and the data tables: dimension, group, measure, numerator,
        denominator, value."""
        if metric not in METRICS:
            raise KeyError(metric)
        out: list[dict[str, object]] = []

        def add(key: Key, measure: str, numerator, denominator, value) -> None:
            out.append({"dimension": key[0], "group": key[1], "measure": measure,
                        "numerator": numerator, "denominator": denominator, "value": value})

        for key in self.groups():
            if metric == "conversations":
                n = self.conversations.get(key, 0)
                add(key, "conversations", n, "", n)
            elif metric == "outcomes":
                for outcome in (*OUTCOMES, "abandoned_in_queue"):
                    r = self.outcomes[outcome].get(key, Rate(0, 0))
                    add(key, outcome, r.numerator, r.denominator, r.value)
                for outcome, counts in self.not_judged.items():
                    add(key, outcome, counts.get(key, 0), "", counts.get(key, 0))
            elif metric == "repeat":
                r = self.repeat.get(key, Rate(0, 0))
                add(key, "came back within 7 days", r.numerator, r.denominator, r.value)
            elif metric == "helpful":
                r = self.helpful.get(key, Rate(0, 0))
                add(key, "answer helped", r.numerator, r.denominator, r.value)
            elif metric == "advisor":
                a = self.advisor.get(key, AdvisorFigures())
                for name, d in (("time to answer", a.time_to_answer),
                                ("handle time", a.handle_time)):
                    add(key, f"{name} median seconds", "", d.count, d.median)
                    add(key, f"{name} p90 seconds", "", d.count, d.p90)
                r = a.callbacks_on_time
                add(key, "callbacks on time", r.numerator, r.denominator, r.value)
                r = a.per_advisor_hour
                add(key, "tickets claimed per advisor-hour", r.numerator, r.denominator, r.value)
            elif metric == "handoff":
                for reason in ("any", *HANDOFF_REASONS):
                    r = self.handoff[reason].get(key, Rate(0, 0))
                    add(key, reason, r.numerator, r.denominator, r.value)
            elif metric == "optout":
                for scope in OPTOUT_SCOPES:
                    r = self.optout[scope].get(key, Rate(0, 0))
                    add(key, scope, r.numerator, r.denominator, r.value)
                    add(key, f"{scope} withdrawals", self.withdrawals[scope].get(key, 0), "",
                        self.withdrawals[scope].get(key, 0))
            elif metric == "satisfaction":
                a = self.satisfaction.get(key, Average(0, 0))
                add(key, "average score", a.total, a.count, a.value)
            elif metric == "fallback":
                r = self.fallback.get(key, Rate(0, 0))
                add(key, FALLBACK_INTENT, r.numerator, r.denominator, r.value)
            elif metric == "intents":
                for intent, n in self.intents.get(key, []):
                    add(key, intent, n, "", n)
            elif metric == "inclusion":
                for measure, counts in self.inclusion.items():
                    add(key, measure, counts.get(key, 0), "", counts.get(key, 0))
        return out


def _keys(channel: str, when: datetime) -> tuple[Key, Key, Key]:
    return ALL, ("channel", channel), ("week", iso_week(when))


DEFAULT_ABANDON_AFTER = timedelta(minutes=30)  # the web session lifetime (SESSION_MINUTES)
DEFAULT_CALLBACK_DUE = timedelta(hours=24)


def compute(s: Session, *, since: datetime | None = None, until: datetime | None = None,
            top_n: int = 10, now: datetime | None = None,
            abandon_after: timedelta = DEFAULT_ABANDON_AFTER,
            callback_due: timedelta = DEFAULT_CALLBACK_DUE) -> Report:
    """All KPIs for conversations (and events, messages) from `since` up to `until` (UTC).

    `now` decides which conversations are still in progress (activity within `abandon_after`)
    and which callbacks are due (asked for more than `callback_due` ago)."""
    now = now or utcnow()
    conv_rows = s.execute(
        select(Conversation.id, Conversation.channel, Conversation.created_at,
               Conversation.satisfaction)
        .where(*sql.in_period(Conversation.created_at, since, until))
    ).all()
    conv_ids = {row.id for row in conv_rows}
    reasons_by_conv: dict[str, set[str]] = defaultdict(set)
    for conv_id, reason in s.execute(select(HandoffTicket.conversation_id, HandoffTicket.reason)):
        if conv_id in conv_ids:
            reasons_by_conv[conv_id].add(reason)
    event_rows = s.execute(
        select(OptOutEvent.scope, OptOutEvent.action, OptOutEvent.channel, OptOutEvent.at)
        .where(*sql.in_period(OptOutEvent.at, since, until))
    ).all()
    message_rows = s.execute(
        select(Conversation.channel, Message.sent_at, Message.intent)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Message.sender == "resident", Message.intent.is_not(None),
               *sql.in_period(Message.sent_at, since, until))
    ).all()

    outcome_rows = s.execute(sql.outcome_query(now - abandon_after, since=since,
                                               until=until)).all()
    feedback_rows = s.execute(sql.feedback_query(since=since, until=until)).all()
    ticket_rows = s.execute(sql.ticket_times_query(since=since, until=until)).all()
    callback_rows = s.execute(sql.callback_query(since=since, until=until)).all()
    activity_rows = s.execute(sql.advisor_activity_query(since=since, until=until)).all()
    inclusion_rows = s.execute(sql.inclusion_query(since=since, until=until)).all()

    conversations: Counter[Key] = Counter()
    handed: dict[str, Counter[Key]] = {r: Counter() for r in ("any", *HANDOFF_REASONS)}
    score_total: Counter[Key] = Counter()
    score_count: Counter[Key] = Counter()
    weeks: set[str] = set()
    channels: set[str] = set()

    def grouped(channel: str, when: datetime) -> tuple[Key, Key, Key]:
        """The groups a row counts in; notes its week and channel so the report lists them."""
        keys = _keys(channel, when)
        weeks.add(keys[2][1])
        channels.add(channel)
        return keys

    for conv_id, channel, created, score in conv_rows:
        keys = grouped(channel, created)
        reasons = reasons_by_conv.get(conv_id, set())
        for key in keys:
            conversations[key] += 1
            if reasons:
                handed["any"][key] += 1
            for reason in reasons:
                handed.setdefault(reason, Counter())[key] += 1
            if score is not None:
                score_total[key] += score
                score_count[key] += 1

    opted: dict[str, Counter[Key]] = {scope: Counter() for scope in OPTOUT_SCOPES}
    withdrawn: dict[str, Counter[Key]] = {scope: Counter() for scope in OPTOUT_SCOPES}
    for scope, action, channel, at in event_rows:
        keys = grouped(channel, at)
        target = opted if action == "opt_out" else withdrawn
        for key in keys:
            target.setdefault(scope, Counter())[key] += 1

    with_intent: Counter[Key] = Counter()
    fell_back: Counter[Key] = Counter()
    intent_counts: dict[Key, Counter[str]] = defaultdict(Counter)
    for channel, sent_at, intent in message_rows:
        for key in grouped(channel, sent_at):
            with_intent[key] += 1
            if intent == FALLBACK_INTENT:
                fell_back[key] += 1
            else:
                intent_counts[key][intent] += 1

    judged: Counter[Key] = Counter()
    by_outcome: dict[str, Counter[Key]] = {o: Counter() for o in (*OUTCOMES,
                                                                   "abandoned_in_queue")}
    not_judged: dict[str, Counter[Key]] = {o: Counter() for o in sql.NOT_JUDGED}
    came_back: Counter[Key] = Counter()
    for row in outcome_rows:
        for key in _keys(row.channel, row.created_at):
            if row.outcome in not_judged:
                not_judged[row.outcome][key] += 1
                continue
            judged[key] += 1
            by_outcome[row.outcome][key] += 1
            if row.outcome == "abandoned" and row.queued:
                by_outcome["abandoned_in_queue"][key] += 1
            if row.came_back:
                came_back[key] += 1

    answers: Counter[Key] = Counter()
    helped: Counter[Key] = Counter()
    for channel, created, helpful in feedback_rows:
        for key in grouped(channel, created):
            answers[key] += 1
            helped[key] += bool(helpful)

    waits: dict[Key, list[float]] = defaultdict(list)
    handles: dict[Key, list[float]] = defaultdict(list)
    claimed: Counter[Key] = Counter()
    for channel, queued_at, claimed_at, closed_at, _advisor in ticket_rows:
        keys = _keys(channel, queued_at)
        weeks.add(keys[2][1])
        for key in keys:
            if claimed_at is not None:
                claimed[key] += 1
                waits[key].append((claimed_at - queued_at).total_seconds())
                if closed_at is not None:
                    handles[key].append((closed_at - claimed_at).total_seconds())
    due: Counter[Key] = Counter()
    on_time: Counter[Key] = Counter()
    for channel, asked, done in callback_rows:
        if done is None and asked + callback_due > now:
            continue  # not due yet
        for key in _keys(channel, asked):
            due[key] += 1
            on_time[key] += done is not None and done - asked <= callback_due
    hours: Counter[Key] = Counter()
    for advisor_id, at in {(a, at.replace(minute=0, second=0, microsecond=0))
                           for a, at in activity_rows}:
        del advisor_id  # one advisor-hour per advisor per clock hour: the set did the work
        for key in (ALL, ("week", iso_week(at))):
            hours[key] += 1

    inclusion: dict[str, Counter[Key]] = {"all": Counter()}
    inclusion.update({f"need:{n}": Counter() for n in INCLUSION_NEEDS})
    inclusion.update({f"offer:{o}": Counter() for o in INCLUSION_OFFERS})
    for channel, created, need, offer in inclusion_rows:
        for key in grouped(channel, created):
            for measure in ("all", f"need:{need}", f"offer:{offer}"):
                inclusion.setdefault(measure, Counter())[key] += 1

    week_list = weeks_between(min(weeks), max(weeks)) if weeks else []
    channel_list = [c for c in CHANNELS if c in channels] + sorted(channels - set(CHANNELS))
    report = Report(since=since, until=until, channels=channel_list, weeks=week_list)
    for key in report.groups():
        n = conversations.get(key, 0)
        report.conversations[key] = n
        report.repeat[key] = Rate(came_back.get(key, 0), judged.get(key, 0))
        report.helpful[key] = Rate(helped.get(key, 0), answers.get(key, 0))
        report.advisor[key] = AdvisorFigures(
            time_to_answer=Durations(tuple(waits.get(key, ()))),
            handle_time=Durations(tuple(handles.get(key, ()))),
            callbacks_on_time=Rate(on_time.get(key, 0), due.get(key, 0)),
            tickets_claimed=claimed.get(key, 0), advisor_hours=hours.get(key, 0))
        report.satisfaction[key] = Average(score_total.get(key, 0), score_count.get(key, 0))
        report.fallback[key] = Rate(fell_back.get(key, 0), with_intent.get(key, 0))
        # Most common first; ties in name order, so the list is stable.
        report.intents[key] = sorted(intent_counts.get(key, Counter()).items(),
                                     key=lambda item: (-item[1], item[0]))[:top_n]
    report.outcomes = {outcome: {key: Rate(counter.get(key, 0), judged.get(key, 0))
                                 for key in report.groups()}
                       for outcome, counter in by_outcome.items()}
    report.not_judged = {outcome: {key: counter.get(key, 0) for key in report.groups()}
                         for outcome, counter in not_judged.items()}
    report.inclusion = {measure: {key: counter.get(key, 0) for key in report.groups()}
                        for measure, counter in inclusion.items()}
    report.handoff = {reason: {key: Rate(counter.get(key, 0), report.conversations[key])
                               for key in report.groups()}
                      for reason, counter in handed.items()}
    report.optout = {scope: {key: Rate(counter.get(key, 0), report.conversations[key])
                             for key in report.groups()}
                     for scope, counter in opted.items()}
    report.withdrawals = {scope: {key: counter.get(key, 0) for key in report.groups()}
                          for scope, counter in withdrawn.items()}
    return report


def percent(value: float | None, places: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{places}f}%"


def label(key: Key) -> str:
    dimension, group = key
    if dimension == "all":
        return "All channels"
    if dimension == "channel":
        return CHANNEL_NAMES.get(group, group)
    return f"Week of {week_monday(group).strftime('%-d %b %Y')} ({group})"


def csv_rows(report: Report, metric: str) -> Iterable[list[object]]:
    """Header and rows for `<metric>.csv`; rates as fractions with 4 decimal places."""
    yield ["dimension", "group", "measure", "numerator", "denominator", "value"]
    for row in report.rows(metric):
        value = row["value"]
        if isinstance(value, float):
            value = f"{value:.4f}"
        elif value is None:
            value = ""
        yield [row["dimension"], row["group"], row["measure"], row["numerator"],
               row["denominator"], value]
