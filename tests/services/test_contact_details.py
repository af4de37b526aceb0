"""An address the bot asks for goes to the case without ever reaching Rasa."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services import contact_details
from storage.models import Message
from tests.core.test_identity import ADDRESSES_IN_SENTENCES

ASK = [{"text": "What email address should we use?"}, {"custom": {"collect": "email"}}]


@pytest.mark.parametrize(("kind", "text", "detail"), ADDRESSES_IN_SENTENCES)
def test_addresses_are_found_in_what_residents_say(kind, text, detail):
    assert contact_details.extract(kind, text) == detail
    assert contact_details.extract("proof", text) == detail  # checking a case takes either


def test_the_router_keeps_the_address_and_rasa_sees_it_redacted(router, fake_rasa, db):
    fake_rasa.reply_to("email please", ASK)
    conv = router.start("web", session_key="browser-1")
    router.handle(conv, "email please")
    router.handle(conv, "Sam@Example.org")
    assert fake_rasa.calls[-1]["text"] == "[redacted: email]"
    with db.session() as s:
        stored = s.scalars(select(Message.text).where(Message.conversation_id == conv)).all()
    assert not any("example.org" in text.lower() for text in stored)
    assert contact_details.take(db, conv) == "sam@example.org"
    assert contact_details.take(db, conv) is None  # taken once, no copy left behind


def test_an_address_is_only_kept_when_the_bot_asked_for_one(router, fake_rasa, db):
    conv = router.start("web", session_key="browser-2")
    router.handle(conv, "my email is sam@example.org")
    assert contact_details.take(db, conv) is None
    fake_rasa.reply_to("email please", ASK)
    router.handle(conv, "email please")
    router.handle(conv, "no updates thanks")  # one answer ends the collecting
    router.handle(conv, "sam@example.org")
    assert contact_details.take(db, conv) is None


def test_a_spoken_email_is_kept_and_rasa_sees_only_a_placeholder(router, fake_rasa, db):
    fake_rasa.reply_to("email", ASK)
    conv = router.start("phone", address="+447700900123", call_sid="CA1")
    router.handle(conv, "email")
    router.handle(conv, "sam at example dot org")
    assert fake_rasa.calls[-1]["text"] == "[redacted: email]"
    with db.session() as s:
        stored = s.scalars(select(Message.text).where(Message.conversation_id == conv)).all()
    assert not any("example" in text for text in stored)
    assert contact_details.take(db, conv) == "sam@example.org"
