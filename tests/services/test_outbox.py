"""The outbox's claim, lease and outcome rules (services/outbox.py)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from services import outbox
from storage.models import OutboxMessage, utcnow


def add(db, key="update:HC-100001:1"):
    with db.session() as s:
        return outbox.enqueue(s, kind="email", key=key).id


def expire_leases(db):
    with db.session() as s:
        s.execute(update(OutboxMessage).values(lease_until=utcnow() - timedelta(seconds=1)))


def test_a_claimed_message_is_not_claimed_again_while_leased(db):
    add(db)
    [first] = outbox.claim(db, "worker-a")
    assert outbox.claim(db, "worker-b") == []
    assert (first.attempts, first.maybe_sent) == (1, False)


def test_an_expired_lease_is_taken_over_and_the_old_worker_can_neither_send_nor_record(db):
    message_id = add(db)
    outbox.claim(db, "worker-a")
    expire_leases(db)  # worker-a was slow (or died)
    [taken] = outbox.claim(db, "worker-b")
    assert taken.maybe_sent  # worker-a may have sent it: worker-b asks the provider first
    assert not outbox.renew(db, message_id, "worker-a", 60)
    assert not outbox.mark_done(db, message_id, "worker-a")
    assert outbox.renew(db, message_id, "worker-b", 60)
    assert outbox.mark_done(db, message_id, "worker-b")
    assert outbox.messages(db)[0].state == "sent"


def test_back_off_doubles_up_to_the_ceiling():
    delays = [outbox.backoff_seconds(n, 30, 3600) for n in (1, 2, 3, 10)]
    assert 24 <= delays[0] <= 36 and 48 <= delays[1] <= 72 and 96 <= delays[2] <= 144
    assert 2880 <= delays[3] <= 4320


def test_a_retry_waits_for_its_back_off(db):
    message_id = add(db)
    [claimed] = outbox.claim(db, "w")
    assert outbox.mark_retry(db, message_id, "w", attempts=claimed.attempts, error="500",
                             max_attempts=5, base=60, ceiling=600) == "pending"
    assert outbox.claim(db, "w") == []  # not due for about a minute
