"""Helpers for the handoff tests."""

from __future__ import annotations

import pytest

from storage.models import utcnow
from tests.conftest import add_advisor_row


@pytest.fixture
def advisor_online(db) -> int:
    with db.session() as s:
        return add_advisor_row(s, last_seen_at=utcnow())
