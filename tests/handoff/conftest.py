"""Helpers for the handoff tests."""

from __future__ import annotations

import pytest

from storage.models import Advisor, utcnow


@pytest.fixture
def advisor_online(db) -> int:
    with db.session() as s:
        advisor = Advisor(name="Sam", email="sam@example.gov.uk", password_hash="x",
                          role="advisor", last_seen_at=utcnow())
        s.add(advisor)
        s.flush()
        return advisor.id
