"""What happened in each conversation, as SQL you can read: one outcome per conversation.

This module is the single definition of the honest outcome measures (docs/kpis.md quotes it).
`outcome_query()` is one SQLAlchemy Core select with one row per conversation: the facts it uses
(each a named EXISTS or MAX sub-query) and the outcome they add up to, decided by one CASE in
order. It runs unchanged on SQLite and PostgreSQL; the only dialect-specific piece is
`plus_days()` ("a date 7 days later"), compiled for each.

The outcomes, first match wins:
- handed_over: an advisor claimed a ticket, or the resident left a number for a call back.
- abandoned:   queued for a person and left before anyone answered (ticket closed unclaimed,
               which the router records as outcome "abandoned"; phone hung up while waiting;
               or no activity for the abandonment window);
               or the conversation is in the router's `abandoned` state;
               or, with no ticket, the resident left the assistant's last question unanswered
               (web stopped mid-task, SMS never replied, phone hung up mid-flow) or, on the
               phone, hung up before saying anything.
- in_progress: still queued and active, or still open with activity inside the window:
               not judged yet and left out of every rate.
- not_started: web or SMS conversation in which the resident never wrote anything: left out.
- resolved:    the resident said an answer helped ("Did that answer your question?" yes), or a
               task was completed (a report made: a case row for the conversation; a look-up
               answered: a look-up intent with the assistant's reply not left as an unanswered
               question), and the same pseudonymous subject did not contact us again within 7
               days.
- came_back:   as resolved, but the same subject contacted us again within 7 days.
- unresolved:  anything else that ended: answered with no "yes" and no task done, or "no".

Why a window rather than the web's own polls: polling is not stored. A web session expires
after SESSION_MINUTES (30) of inactivity, so a conversation with no message for longer than that
can no longer continue. The same window is used for SMS and for phone calls whose status
callback never arrived. The router's `abandoned` state (handoff/abandonment.py) is used as well:
it is set sooner (a web page that stopped polling) and for the same reasons.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, and_, case, exists, func, literal, not_, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select
from sqlalchemy.sql.functions import FunctionElement

from core.vocabulary import ConversationState
from storage.models import (
    AnswerFeedback,
    CallbackRequest,
    Case,
    Conversation,
    DigitalInclusionNeed,
    HandoffTicket,
    Message,
)

OUTCOMES = ("resolved", "came_back", "handed_over", "abandoned", "unresolved")
NOT_JUDGED = ("in_progress", "not_started")
OUTCOME_TITLES = {
    "resolved": "Resolved by the assistant",
    "came_back": "Task done but came back within 7 days",
    "handed_over": "Handed to a person",
    "abandoned": "Abandoned",
    "unresolved": "Not resolved",
    "in_progress": "Still in progress",
    "not_started": "Opened but nothing asked",
}
REPEAT_DAYS = 7
# Intents the assistant answers from council data without a form that makes a record.
LOOKUP_INTENTS = ("bin_collection_day", "library_opening_hours", "check_case_status",
                  "planning_application_status", "contact_hours")
# What channels.voice stores when Twilio's status callback says the call ended.
CALL_ENDED = "Call ended%"
# The catalogue's feedback prompt (issue 12 item 4), matched by its wording.
FEEDBACK_QUESTION = "%Did that answer your question?%"
CALL_ENDED_WAITING = "Call ended while the caller was waiting%"
# The router's state for a resident who left (handoff/abandonment.py decides when).
ABANDONED = ConversationState.ABANDONED.value


def person(conversations):
    """Who the resident is, as a pseudonym: the phone number they proved is theirs (a web chat
    whose resident typed back the texted code) if any, else the conversation's own subject.
    So a verified web chat and a phone call from that number are the same person."""
    return func.coalesce(conversations.c.identified_subject, conversations.c.subject)


class plus_days(FunctionElement):  # noqa: N801 - reads as SQL: plus_days(column, 7)
    """`column + n days`, for comparing one conversation's time with another's."""

    type = DateTime()
    inherit_cache = True
    name = "plus_days"


@compiles(plus_days, "sqlite")
def _plus_days_sqlite(element, compiler, **kw):
    column, days = list(element.clauses)
    # SQLAlchemy stores SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff': keep that shape.
    return (f"strftime('%Y-%m-%d %H:%M:%f000', {compiler.process(column, **kw)}, "
            f"'+' || {compiler.process(days, **kw)} || ' days')")


@compiles(plus_days)
def _plus_days_default(element, compiler, **kw):
    column, days = list(element.clauses)
    return (f"({compiler.process(column, **kw)} + "
            f"make_interval(days => {compiler.process(days, **kw)}))")


def in_period(column, since: datetime | None, until: datetime | None) -> list:
    """The conditions that keep `column` in [since, until); either end may be open (None)."""
    conditions = []
    if since is not None:
        conditions.append(column >= since)
    if until is not None:
        conditions.append(column < until)
    return conditions


def outcome_query(stale_before: datetime, *, since: datetime | None = None,
                  until: datetime | None = None) -> Select:
    """One row per conversation started in [since, until): its facts and its outcome.

    `stale_before`: a conversation with no resident, assistant or advisor message after this
    time (usually "now" minus the session lifetime) can no longer continue.
    """
    c = Conversation.__table__
    m = Message.__table__
    t = HandoffTicket.__table__

    def message_exists(*conditions):
        return exists().where(m.c.conversation_id == c.c.id, *conditions)

    def ticket_exists(*conditions):
        return exists().where(t.c.conversation_id == c.c.id, *conditions)

    # The last message that was not a system note (notes such as "Call ended." come after).
    last = aliased(m)
    last_id = (select(func.max(last.c.id))
               .where(last.c.conversation_id == c.c.id, last.c.sender != "system")
               .correlate(c)  # to the conversation row, two levels up
               .scalar_subquery())
    spoke = message_exists(m.c.sender == "resident")
    gave_feedback = exists().where(AnswerFeedback.conversation_id == c.c.id)
    # "Did that answer your question?" left unanswered is not a task left half done: the
    # resident had their answer. Any other question from the assistant is (a form's next
    # step, "What is your postcode?", the greeting's "How can I help?").
    left_question = and_(
        message_exists(m.c.id == last_id, m.c.sender == "bot", func.rtrim(m.c.text).like("%?"),
                       not_(m.c.text.like(FEEDBACK_QUESTION))),
        not_(gave_feedback))
    last_activity = func.coalesce(
        select(func.max(m.c.sent_at))
        .where(m.c.conversation_id == c.c.id, m.c.sender != "system").scalar_subquery(),
        c.c.created_at)
    stale = last_activity < stale_before
    call_ended = message_exists(m.c.sender == "system", m.c.text.like(CALL_ENDED))
    hung_up_waiting = message_exists(m.c.sender == "system", m.c.text.like(CALL_ENDED_WAITING))

    ticketed = ticket_exists()
    # The router closes a queued ticket with outcome "abandoned" when the resident leaves the
    # queue (handoff/abandonment.py); a ticket closed unclaimed any other way counts the same.
    left_queue = ticket_exists(t.c.outcome == "abandoned")
    claimed = ticket_exists(or_(t.c.claimed_at.is_not(None), t.c.status == "claimed"))
    open_ticket = ticket_exists(t.c.status != "closed")
    callback = exists().where(CallbackRequest.conversation_id == c.c.id)
    said_yes = exists().where(AnswerFeedback.conversation_id == c.c.id,
                              AnswerFeedback.helpful.is_(True))
    report_made = exists().where(Case.conversation_id == c.c.id)
    lookup_answered = and_(message_exists(m.c.sender == "resident",
                                          m.c.intent.in_(LOOKUP_INTENTS)),
                           not_(left_question))
    achieved = or_(said_yes, report_made, lookup_answered)

    later = aliased(c)
    came_back = exists().where(
        person(later) == person(c), later.c.id != c.c.id,
        later.c.created_at > c.c.created_at,
        later.c.created_at < plus_days(c.c.created_at, literal(REPEAT_DAYS)))

    outcome = case(
        (or_(claimed, callback), "handed_over"),
        (and_(ticketed, or_(c.c.state == ABANDONED, left_queue, not_(open_ticket),
                            hung_up_waiting, call_ended, stale)), "abandoned"),
        (ticketed, "in_progress"),
        (and_(c.c.state == ABANDONED, not_(achieved)), "abandoned"),
        (and_(not_(spoke), c.c.channel != "phone"), "not_started"),
        (and_(c.c.state != "closed", not_(call_ended), not_(stale)), "in_progress"),
        (and_(achieved, not_(came_back)), "resolved"),
        (achieved, "came_back"),
        (or_(not_(spoke), left_question), "abandoned"),
        else_="unresolved",
    )
    query = select(
        c.c.id, c.c.channel, c.c.created_at, person(c).label("subject"),
        outcome.label("outcome"),
        case((ticketed, True), else_=False).label("queued"),
        case((came_back, True), else_=False).label("came_back"),
        case((said_yes, True), else_=False).label("said_yes"),
        case((report_made, True), else_=False).label("report_made"),
        case((lookup_answered, True), else_=False).label("lookup_answered"),
    )
    return query.where(*in_period(c.c.created_at, since, until)).order_by(c.c.created_at, c.c.id)


def feedback_query(*, since: datetime | None = None, until: datetime | None = None) -> Select:
    """Every "Did that answer your question?" answer: channel, time, yes or no."""
    f = AnswerFeedback.__table__
    query = select(f.c.channel, f.c.created_at, f.c.helpful)
    return query.where(*in_period(f.c.created_at, since, until))


def ticket_times_query(*, since: datetime | None = None,
                       until: datetime | None = None) -> Select:
    """Tickets queued in the period with their conversation's channel and their timestamps:
    time to answer = claimed_at - queued_at; handle time = closed_at - claimed_at."""
    t = HandoffTicket.__table__
    c = Conversation.__table__
    query = (select(c.c.channel, t.c.queued_at, t.c.claimed_at, t.c.closed_at, t.c.advisor_id)
             .join(c, c.c.id == t.c.conversation_id))
    return query.where(*in_period(t.c.queued_at, since, until))


def callback_query(*, since: datetime | None = None, until: datetime | None = None) -> Select:
    """Callback requests made in the period: when asked for, when done (None if not yet)."""
    cb = CallbackRequest.__table__
    c = Conversation.__table__
    query = (select(c.c.channel, cb.c.created_at, cb.c.done_at)
             .join(c, c.c.id == cb.c.conversation_id))
    return query.where(*in_period(cb.c.created_at, since, until))


def advisor_activity_query(*, since: datetime | None = None,
                           until: datetime | None = None) -> Select:
    """Every recorded advisor action (a message sent, a ticket claimed or closed) with its time.
    An advisor-hour is a clock hour in which an advisor did at least one of these."""
    m = Message.__table__
    t = HandoffTicket.__table__
    parts = [
        select(m.c.advisor_id.label("advisor_id"), m.c.sent_at.label("at"))
        .where(m.c.sender == "advisor", m.c.advisor_id.is_not(None)),
        select(t.c.advisor_id.label("advisor_id"), t.c.claimed_at.label("at"))
        .where(t.c.advisor_id.is_not(None), t.c.claimed_at.is_not(None)),
        select(t.c.advisor_id.label("advisor_id"), t.c.closed_at.label("at"))
        .where(t.c.advisor_id.is_not(None), t.c.closed_at.is_not(None)),
    ]
    union = parts[0].union_all(*parts[1:]).subquery()
    query = select(union.c.advisor_id, union.c.at)
    return query.where(*in_period(union.c.at, since, until))


def inclusion_query(*, since: datetime | None = None, until: datetime | None = None) -> Select:
    """Residents who said they cannot get online (recorded with their agreement): channel,
    time, need and the help they chose. Nothing else about them is stored."""
    d = DigitalInclusionNeed.__table__
    query = select(d.c.channel, d.c.created_at, d.c.need, d.c.offer)
    return query.where(*in_period(d.c.created_at, since, until))
