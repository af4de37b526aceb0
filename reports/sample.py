"""Sample conversations for a fresh clone, so the reports, the targets and /performance show
figures before anyone has used the assistant. Never for a live council database.

Every row made here is marked: conversation ids and subjects start with "sample-", the advisor
is sample-advisor@example.invalid (inactive, cannot sign in), cases have `sample=True`.
`remove()` deletes exactly those rows. `add()` refuses a database that holds real conversations.

The mix is fixed (a seeded random generator), so two runs on the same day give the same figures.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from storage.models import (
    Advisor,
    AnswerFeedback,
    CallbackRequest,
    Case,
    Conversation,
    DigitalInclusionNeed,
    HandoffTicket,
    Message,
    utcnow,
)

PREFIX = "sample-"
ADVISOR_EMAIL = "sample-advisor@example.invalid"
NO_PASSWORD = "!"  # matches no password hash format: nobody can sign in as the sample advisor  # noqa: S105
PER_MONTH = {"web": 60, "phone": 30, "sms": 15}
# (what happens, weight): roughly what a council might see in its first months
MIX = [("lookup", 30), ("helpful", 10), ("report", 8), ("advisor", 20), ("left_queue", 8),
       ("mid_task", 10), ("not_helpful", 8), ("callback", 6)]


class RealDataPresent(RuntimeError):
    """The database already holds real conversations: sample data would corrupt the figures."""


@dataclass
class Added:
    conversations: int
    months: int

    def __str__(self) -> str:
        return (f"Added {self.conversations} sample conversations over {self.months} months. "
                "Remove them with `contact-assistant reports sample --remove`.")


def _month_starts(today: date, months: int) -> list[date]:
    out, month = [], date(today.year, today.month, 1)
    for _ in range(months):
        month = date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)
        out.append(month)
    return out[::-1]


def add(s: Session, *, months: int = 3, today: date | None = None) -> Added:
    real = s.scalar(select(func.count()).select_from(Conversation)
                    .where(Conversation.id.not_like(f"{PREFIX}%")))
    if real:
        raise RealDataPresent(f"the database holds {real} real conversations: sample data "
                              "would be counted in their figures")
    remove(s)
    rng = random.Random(2026)  # the same mix every run
    advisor = Advisor(name="Sample Advisor", email=ADVISOR_EMAIL, password_hash=NO_PASSWORD,
                      role="advisor", active=False)
    s.add(advisor)
    s.flush()
    today = today or utcnow().date()
    count = 0
    case_number = 0
    kinds = [k for k, _w in MIX]
    weights = [w for _k, w in MIX]
    for month in _month_starts(today, months):
        for channel, n in PER_MONTH.items():
            for i in range(n):
                count += 1
                cid = f"{PREFIX}{month:%Y%m}-{channel}-{i}"
                start = datetime(month.year, month.month, 1 + i % 27, 9 + i % 8, rng.randrange(60))
                kind = rng.choices(kinds, weights)[0]
                s.add(Conversation(id=cid, channel=channel, subject=f"{PREFIX}{channel}-{i}",
                                   state="closed", created_at=start, updated_at=start,
                                   satisfaction=rng.choice([None, None, 3, 4, 4, 5, 5, 2])))
                s.flush()

                def say(sender: str, text: str, minutes: float = 0, intent: str | None = None,
                        _cid: str = cid, _start: datetime = start) -> None:
                    s.add(Message(conversation_id=_cid, sender=sender, text=text, intent=intent,
                                  sent_at=_start + timedelta(minutes=minutes),
                                  advisor_id=advisor.id if sender == "advisor" else None))

                if kind == "lookup":
                    say("resident", "when is my bin day", intent="bin_collection_day")
                    say("bot", "Your next collection is on Tuesday.", 0.1)
                elif kind in ("helpful", "not_helpful"):
                    say("resident", "can I have a bonfire", intent="out_of_scope")
                    say("bot", "Garden bonfires are allowed. Did that answer your question?", 0.1)
                    s.add(AnswerFeedback(conversation_id=cid, channel=channel,
                                         service_id="bonfires", helpful=kind == "helpful",
                                         created_at=start + timedelta(minutes=1)))
                elif kind == "report":
                    case_number += 1
                    say("resident", "my bin was missed", intent="report_missed_bin")
                    say("bot", "Thank you. We have your report.", 2)
                    s.add(Case(reference=f"HC-9{case_number:05d}", kind="missed_bin",
                               location="Sample Street", conversation_id=cid, sample=True,
                               created_at=start + timedelta(minutes=2)))
                elif kind == "mid_task":
                    say("resident", "report a pothole", intent="report_pothole")
                    say("bot", "Where is the pothole?", 0.1)
                else:  # a person: answered, left the queue, or a callback
                    say("resident", "I want to talk to a person", intent="request_human")
                    wait = rng.choice([0.5, 1, 1.5, 2, 2.5, 3, 4, 6])
                    claimed = start + timedelta(minutes=wait) if kind == "advisor" else None
                    s.add(HandoffTicket(
                        conversation_id=cid, reason=rng.choice(["requested"] * 4 + ["housing"]),
                        status="closed", summary={}, queued_at=start, claimed_at=claimed,
                        closed_at=(claimed or start) + timedelta(minutes=rng.choice([4, 6, 9])),
                        advisor_id=advisor.id if claimed else None))
                    if claimed:
                        say("advisor", "Hello, how can I help?", wait + 0.5)
                    if kind == "callback":
                        s.add(CallbackRequest(
                            conversation_id=cid, phone="+447700900000", created_at=start,
                            done_at=start + timedelta(hours=rng.choice([2, 5, 20, 30])),
                            handled_by=advisor.id))
                if rng.random() < 0.06:
                    s.add(DigitalInclusionNeed(
                        conversation_id=cid, channel=channel,
                        need=rng.choice(["no_internet", "no_device", "no_skills"]),
                        offer=rng.choice(["tea_and_tech", "device_lending", "callback"]),
                        created_at=start))
                if kind in ("lookup", "report") and rng.random() < 0.15:
                    # The same person back within a few days: not resolved after all.
                    count += 1
                    again = start + timedelta(days=rng.choice([1, 2, 3]))
                    s.add(Conversation(id=f"{cid}-again", channel="phone",
                                       subject=f"{PREFIX}{channel}-{i}", state="closed",
                                       created_at=again, updated_at=again))
                    s.flush()
                    say("resident", "my bin was still not collected", 0, "report_missed_bin",
                        _cid=f"{cid}-again", _start=again)
                    say("bot", "I am sorry. What is your postcode?", 0.1,
                        _cid=f"{cid}-again", _start=again)
    return Added(count, months)


def remove(s: Session) -> int:
    """Delete every sample row; returns how many conversations went."""
    sample = Conversation.id.like(f"{PREFIX}%")
    ids = select(Conversation.id).where(sample)
    bulk = {"synchronize_session": False}  # plain SQL deletes; the session holds none of these
    s.execute(delete(AnswerFeedback).where(AnswerFeedback.conversation_id.in_(ids)),
              execution_options=bulk)
    s.execute(delete(DigitalInclusionNeed).where(DigitalInclusionNeed.conversation_id.in_(ids)),
              execution_options=bulk)
    s.execute(delete(Case).where(Case.conversation_id.in_(ids), Case.sample.is_(True)),
              execution_options=bulk)
    gone = 0
    for conv in s.scalars(select(Conversation).where(sample)):
        s.delete(conv)  # messages, tickets and callbacks go with it
        gone += 1
    s.flush()
    s.execute(delete(Advisor).where(Advisor.email == ADVISOR_EMAIL), execution_options=bulk)
    return gone
