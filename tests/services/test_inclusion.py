"""Recording a digital inclusion need: codes only, checked, nothing about the person."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select

from services.inclusion import InclusionError, record_need
from storage.models import Conversation, DigitalInclusionNeed


def test_a_need_is_recorded_with_the_help_chosen(db):
    with db.session() as s:
        s.add(Conversation(id="c1", channel="phone", state="bot"))
        s.flush()
        record_need(s, channel="phone", need="no_device", offer="callback", conversation_id="c1")
    with db.session() as s:
        row = s.scalars(select(DigitalInclusionNeed)).one()
    assert (row.channel, row.need, row.offer, row.conversation_id) == (
        "phone", "no_device", "callback", "c1")


def test_nothing_identifying_is_stored():
    columns = {c.key for c in inspect(DigitalInclusionNeed).columns}
    assert columns == {"id", "conversation_id", "channel", "need", "offer", "created_at"}


@pytest.mark.parametrize(("field", "value", "message"), [
    ("need", "poor", "need must be one of no_internet, no_device"),
    ("offer", "laptop", "offer must be one of tea_and_tech"),
    ("channel", "fax", "channel must be one of web, phone, sms"),
])
def test_an_unknown_code_is_refused_and_nothing_is_saved(db, field, value, message):
    values = {"channel": "web", "need": "no_internet", "offer": "tea_and_tech", field: value}
    with pytest.raises(InclusionError, match=message), db.session() as s:
        record_need(s, **values)
    with db.session() as s:
        assert s.scalars(select(DigitalInclusionNeed)).all() == []


def test_the_count_outlives_the_conversation(db):
    """Retention deletes the conversation; the anonymous count stays for the action plan."""
    with db.session() as s:
        s.add(Conversation(id="c2", channel="web", state="bot"))
        s.flush()
        record_need(s, channel="web", need="no_skills", offer="tea_and_tech", conversation_id="c2")
    with db.session() as s:
        s.delete(s.get(Conversation, "c2"))
    with db.session() as s:
        row = s.scalars(select(DigitalInclusionNeed)).one()
    assert (row.conversation_id, row.need) == (None, "no_skills")
