"""Email addresses and phone numbers a resident gives for updates on a report.

The router redacts personal data before Rasa sees a message, so Rasa's tracker never holds an
address. When the bot asks for one it signals `{"collect": "email"|"phone"}`; the router then
keeps what the resident typed or said on the conversation (`remember`), Rasa gets the redacted
text, and the report action takes the address from here (`take`) onto the case, leaving no
copy behind on the conversation.
"""

from __future__ import annotations

from core.identity import find_email, find_phone
from core.redaction import marker
from storage.db import Database
from storage.models import Conversation

KINDS = ("email", "phone", "proof")  # proof: either, to check a case (lookups)


def email_address(text: str) -> str | None:
    """'Sam@Example.org', 'it's sam@example.org' or, said aloud, 'sam at example dot org'
    (core.identity decides what an address is)."""
    return find_email(text)


def phone_number(text: str) -> str | None:
    """A phone number in any usual form -> E.164 ('07700 900123' -> '+447700900123')."""
    return find_phone(text)


def extract(kind: str, text: str) -> str | None:
    if kind == "proof":
        return email_address(text) or phone_number(text)
    return email_address(text) if kind == "email" else phone_number(text)


def remember(conversation: Conversation, text: str) -> str | None:
    """Router side, in its own transaction: if the bot asked for an address last turn, keep
    the one in `text`. Returns what Rasa should be sent instead of the text ("[redacted:
    email]" or "[redacted: phone]"), so not even a spoken address ("sam at example dot org",
    which redaction does not catch) reaches it; None when nothing was kept. Always stops
    collecting after one answer."""
    kind = conversation.collecting_contact
    conversation.collecting_contact = None
    if kind not in KINDS:
        return None
    detail = extract(kind, text)
    if not detail:
        return None
    conversation.contact_detail = detail
    return marker("email" if "@" in detail else "phone")


def expect(conversation: Conversation, kind: str) -> None:
    """Router side: the bot just asked for an address of this kind."""
    if kind in KINDS:
        conversation.collecting_contact = kind


def take(db: Database, conversation_id: str | None) -> str | None:
    """Action side: the address kept for this conversation, removed as it is taken."""
    if not conversation_id:
        return None
    with db.session() as s:
        row = s.get(Conversation, conversation_id)
        if row is None or not row.contact_detail:
            return None
        detail, row.contact_detail = row.contact_detail, None
        return detail
