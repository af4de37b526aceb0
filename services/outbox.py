"""The outbox: work for the delivery worker, kept in the database beside the cases.

`enqueue` takes the caller's session, so a message is committed in the same transaction as the
case or status change it belongs to (the transactional-outbox pattern): a crash keeps both or
neither. The worker (delivery/worker.py) claims due rows with a lease, delivers them and records
the outcome here. On PostgreSQL the claim uses SELECT ... FOR UPDATE SKIP LOCKED, so several
workers share the work without taking the same row; on SQLite writes are serialised anyway.
A compare-and-set on the row's state makes the claim safe on both.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from storage.db import Database
from storage.models import OutboxMessage, utcnow

KINDS = ("open311_post", "email", "sms", "phone_call")
# Final states: the worker never picks these up again.
DONE_STATES = ("sent", "recorded", "suppressed", "manual")
STATE_LABELS = {
    "pending": "Waiting to send",
    "sending": "Sending",
    "sent": "Sent",
    "failed": "Failed: needs a retry",
    "recorded": "Would have been sent (no service set up)",
    "suppressed": "Not sent: the resident opted out",
    "manual": "A person needs to do this",
}


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    idempotency_key: str
    case_id: int | None
    payload: dict[str, Any]
    attempts: int
    # True when an earlier attempt may have reached the provider (its lease ran out, or it
    # timed out): the worker asks the provider before sending again.
    maybe_sent: bool
    created_at: datetime | None = None


def enqueue(session: Session, *, kind: str, key: str, case_id: int | None = None,
            payload: dict[str, Any] | None = None) -> OutboxMessage:
    """Add work in the caller's transaction. The same key twice returns the first row."""
    if kind not in KINDS:
        raise ValueError(f"unknown outbox kind {kind!r}")
    existing = session.scalars(
        select(OutboxMessage).where(OutboxMessage.idempotency_key == key)
    ).first()
    if existing is not None:
        return existing
    row = OutboxMessage(kind=kind, idempotency_key=key, case_id=case_id, payload=payload or {},
                        state="pending", attempts=0, next_attempt_at=utcnow())
    session.add(row)
    session.flush()
    return row


def _due(now: datetime):
    return or_(
        and_(OutboxMessage.state == "pending", OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.state == "sending", OutboxMessage.lease_until < now),
    )


def claim(db: Database, worker_id: str, *, limit: int = 10, lease_seconds: float = 120,
          kinds: tuple[str, ...] = KINDS) -> list[Claimed]:
    """Take up to `limit` due messages for this worker, oldest first."""
    now = utcnow()
    claimed: list[Claimed] = []
    with db.session() as s:
        candidates = s.execute(
            select(OutboxMessage.id, OutboxMessage.state, OutboxMessage.last_error)
            .where(_due(now), OutboxMessage.kind.in_(kinds))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)  # PostgreSQL; ignored by SQLite
        ).all()
        lease = now + timedelta(seconds=lease_seconds)
        for row_id, state, last_error in candidates:
            # Compare-and-set: only if nobody else claimed it since we looked.
            done = s.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row_id, _due(now))
                .values(state="sending", lease_until=lease, claimed_by=worker_id,
                        attempts=OutboxMessage.attempts + 1)
                .execution_options(synchronize_session=False)
            )
            if done.rowcount != 1:
                continue
            row = s.get(OutboxMessage, row_id)
            s.refresh(row)
            maybe_sent = state == "sending" or (last_error or "").startswith("maybe sent")
            claimed.append(Claimed(row.id, row.kind, row.idempotency_key, row.case_id,
                                   dict(row.payload or {}), row.attempts, maybe_sent,
                                   row.created_at))
    return claimed


def renew(db: Database, message_id: int, worker_id: str, lease_seconds: float) -> bool:
    """Just before sending: extend this worker's lease, or learn it was lost (it ran out while
    earlier messages of the batch were slow, and another worker took the message over). A
    worker only sends what it still holds, so two workers never send one message."""
    now = utcnow()
    with db.session() as s:
        done = s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.state == "sending",
                   OutboxMessage.claimed_by == worker_id, OutboxMessage.lease_until > now)
            .values(lease_until=now + timedelta(seconds=lease_seconds))
            .execution_options(synchronize_session=False)
        )
        return done.rowcount == 1


def _finish(db: Database, message_id: int, worker_id: str, **values: Any) -> bool:
    """Record an outcome, only if this worker still holds the lease (else another took over)."""
    with db.session() as s:
        done = s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.state == "sending",
                   OutboxMessage.claimed_by == worker_id)
            .values(lease_until=None, **values)
            .execution_options(synchronize_session=False)
        )
        return done.rowcount == 1


def mark_done(db: Database, message_id: int, worker_id: str, *, state: str = "sent",
              result: dict[str, Any] | None = None, note: str | None = None) -> bool:
    if state not in DONE_STATES:
        raise ValueError(f"{state!r} is not a final state")
    return _finish(db, message_id, worker_id, state=state, result=result, last_error=note,
                   sent_at=utcnow())


def backoff_seconds(attempts: int, base: float, ceiling: float) -> float:
    """Exponential back-off with jitter: base, 2x, 4x ... capped, +-20% so workers spread out."""
    delay = min(base * (2 ** max(attempts - 1, 0)), ceiling)
    return delay * random.uniform(0.8, 1.2)


def mark_retry(db: Database, message_id: int, worker_id: str, *, attempts: int, error: str,
               max_attempts: int, base: float, ceiling: float, maybe_sent: bool = False,
               permanent: bool = False) -> str:
    """A failed attempt: try again later, or give up (failed) after max_attempts or a permanent
    error. Returns the new state."""
    error = (("maybe sent: " if maybe_sent else "") + error)[:1000]
    if permanent or attempts >= max_attempts:
        _finish(db, message_id, worker_id, state="failed", last_error=error)
        return "failed"
    later = utcnow() + timedelta(seconds=backoff_seconds(attempts, base, ceiling))
    _finish(db, message_id, worker_id, state="pending", last_error=error, next_attempt_at=later)
    return "pending"


def retry(db: Database, message_id: int) -> bool:
    """A supervisor asks for a failed message to be tried again now."""
    with db.session() as s:
        done = s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.state == "failed")
            .values(state="pending", attempts=0, next_attempt_at=utcnow(), claimed_by=None)
            .execution_options(synchronize_session=False)
        )
        return done.rowcount == 1


def counts(db: Database) -> dict[str, int]:
    with db.session() as s:
        rows = s.execute(
            select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
        ).all()
    return {state: n for state, n in rows}


def messages(db: Database, *, states: tuple[str, ...] | None = None,
             case_id: int | None = None, limit: int = 200) -> list[OutboxMessage]:
    """For the console: newest first."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if states:
        query = query.where(OutboxMessage.state.in_(states))
    if case_id is not None:
        query = query.where(OutboxMessage.case_id == case_id)
    with db.session() as s:
        return list(s.scalars(query))


@dataclass(frozen=True)
class Backlog:
    """How the delivery worker is keeping up, for /healthz."""

    due: int  # messages that should be being sent now
    oldest_due_seconds: float | None  # how long the longest-waiting of them has been due
    retrying: int  # pending after a failed try
    failed: int  # given up on: a supervisor must retry them (/advisor/cases/deliveries)


def backlog(db: Database, now: datetime | None = None) -> Backlog:
    """Due = pending and due, or sending with an expired lease (its worker died)."""
    now = now or utcnow()
    with db.session() as s:
        # A stranded "sending" row became due again when its lease ran out.
        due_since = case((OutboxMessage.state == "sending", OutboxMessage.lease_until),
                         else_=OutboxMessage.next_attempt_at)
        due, oldest = s.execute(select(func.count(), func.min(due_since)).where(_due(now))).one()
        retrying = s.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.state == "pending", OutboxMessage.attempts > 0)) or 0
        failed = s.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.state == "failed")) or 0
    age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else None
    return Backlog(due or 0, age, retrying, failed)
