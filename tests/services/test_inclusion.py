"""Recording a digital inclusion need: codes only, checked, nothing about the person."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select

from services.inclusion import InclusionError, record_need
from storage.models import Conversation, DigitalInclusionNeed


def recorded_in_a_conversation(db, cid: str, channel: str, need: str,
                               offer: str) -> DigitalInclusionNeed:
    """A conversation, and a need recorded in it; returns the one need row then saved."""
    with db.session() as s:
        s.add(Conversation(id=cid, channel=channel, state="bot"))
        s.flush()
        record_need(s, channel=channel, need=need, offer=offer, conversation_id=cid)
    return only_need(db)


def only_need(db) -> DigitalInclusionNeed:
    with db.session() as s:
        return s.scalars(select(DigitalInclusionNeed)).one()


def test_a_need_is_recorded_with_the_help_chosen(db):
    row = recorded_in_a_conversation(db, "c1", "phone", "no_device", "callback")
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
    recorded_in_a_conversation(db, "c2", "web", "no_skills", "tea_and_tech")
    with db.session() as s:
        s.delete(s.get(Conversation, "c2"))
    row = only_need(db)
    assert (row.conversation_id, row.need) == (None, "no_skills")


# --- the bot's two steps: note on "yes", then the help chosen ------------------------------

def test_note_then_choose_sets_the_help_on_the_same_row(db):
    from services.inclusion import choose_offer, note_need

    with db.session() as s:
        s.add(Conversation(id="c3", channel="sms", state="bot"))
    need_id = note_need(db, channel="sms", need="cannot_afford", conversation_id="c3")
    with db.session() as s:
        assert s.get(DigitalInclusionNeed, need_id).offer == "none"
    assert choose_offer(db, need_id=need_id, offer="device_lending", conversation_id="c3")
    with db.session() as s:
        rows = s.scalars(select(DigitalInclusionNeed)).all()
    assert [(r.need, r.offer, r.conversation_id) for r in rows] == [
        ("cannot_afford", "device_lending", "c3")]


def test_a_note_without_a_known_conversation_is_still_counted(db):
    from services.inclusion import note_need

    need_id = note_need(db, channel="web", need="other", conversation_id="not-a-conversation")
    with db.session() as s:
        assert s.get(DigitalInclusionNeed, need_id).conversation_id is None


def test_another_conversation_cannot_change_the_help(db):
    from services.inclusion import choose_offer, note_need

    with db.session() as s:
        s.add_all([Conversation(id="c4", channel="web", state="bot"),
                   Conversation(id="c5", channel="web", state="bot")])
    need_id = note_need(db, channel="web", need="no_device", conversation_id="c4")
    assert not choose_offer(db, need_id=need_id, offer="callback", conversation_id="c5")
    assert not choose_offer(db, need_id=need_id + 99, offer="callback", conversation_id="c4")
    with pytest.raises(InclusionError, match="offer must be one of"):
        choose_offer(db, need_id=need_id, offer="laptop", conversation_id="c4")
    with db.session() as s:
        assert s.get(DigitalInclusionNeed, need_id).offer == "none"
