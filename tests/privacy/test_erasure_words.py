"""Erasure removes the words a resident used when making a choice; the choice itself stays.

Before: the (redacted) words lived in the append-only register, so erasure could not touch them
and kept them for good."""

from __future__ import annotations

from sqlalchemy import func, select

from privacy import data_rights
from privacy import register as optout
from storage.models import OptOutEvent, OptOutWords

KEY = "test-optout-key"
NUMBER = "07700 900123"


def _record(db, subject: str, words: str) -> int:
    with db.session() as s:
        return optout.record(s, subject=subject, scope="data_use", action="opt_out",
                             channel="sms", method="text", notice_version="v1",
                             conversation_id=None, utterance=words).id


def test_erase_clears_the_stored_words_and_keeps_the_choice(db):
    ref = data_rights.SubjectRef.from_request(KEY, phone=NUMBER)
    mine = _record(db, ref.pseudonym, "please do not keep my data, I live at 3 Mill Lane")
    theirs = _record(db, "b" * 64, "STOP")
    with db.session() as s:
        assert s.get(OptOutEvent, mine).utterance.startswith("please do not keep")

    result = data_rights.erase(db, ref)

    assert result.optout_words_deleted == 1 and result.optout_events_kept == 1
    with db.session() as s:
        event = s.get(OptOutEvent, mine)
        assert (event.scope, event.action, event.channel) == ("data_use", "opt_out", "sms")
        assert event.utterance is None
        assert s.scalar(select(func.count()).select_from(OptOutWords)) == 1
        assert s.get(OptOutEvent, theirs).utterance == "STOP"  # nobody else's words go


def test_subject_access_still_shows_the_words_until_erased(db):
    ref = data_rights.SubjectRef.from_request(KEY, phone=NUMBER)
    _record(db, ref.pseudonym, "no robots please")
    export = data_rights.subject_access(db, ref)
    assert [e["utterance"] for e in export["optout_events"]] == ["no robots please"]
