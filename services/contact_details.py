"""Email addresses and phone numbers a resident gives for updates on a report.

The router redacts personal data before Rasa sees a message, so Rasa's tracker never holds an
address. When the bot asks for one it signals `{"collect": "email"|"phone"}`; the router then
keeps what the resident typed or said on the conversation (`remember`), Rasa gets the redacted
text, and the report action takes the address from here (`take`) onto the case, leaving no
copy behind on the conversation.
"""

from __future__ import annotations

import re

from storage.db import Database
from storage.models import Conversation

KINDS = ("email", "phone", "proof")  # proof: either, to check a case (lookups)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]{2,}")
_EMAIL_WHOLE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]{2,}$")
_PHONE = re.compile(r"\+?[\d()][\d\s().-]{7,}\d")


def email_address(text: str) -> str | None:
    """'Sam@Example.org', 'it's sam@example.org' or, said aloud, 'sam at example dot org'."""
    low = " ".join(text.lower().split()).rstrip(".")
    found = _EMAIL.search(low)
    if found:
        candidate = found.group(0).rstrip(".,;")
    else:
        spoken = re.sub(r"\s+at\s+", "@", low)
        candidate = re.sub(r"\s+dot\s+", ".", spoken).replace(" ", "")
    return candidate if _EMAIL_WHOLE.match(candidate) and len(candidate) <= 254 else None


def phone_number(text: str) -> str | None:
    """A UK phone number in any usual form -> E.164 ('07700 900123' -> '+447700900123')."""
    import phonenumbers

    found = _PHONE.search(text or "")
    if not found:
        return None
    try:
        number = phonenumbers.parse(found.group(0), "GB")
    except phonenumbers.NumberParseException:
        return None
    # Ofcom's drama range (07700 900xxx) is not "valid" to phonenumbers but is a real shape:
    # any ten-digit UK national number is accepted.
    uk_shape = number.country_code == 44 and len(str(number.national_number)) == 10
    if not (phonenumbers.is_valid_number(number) or uk_shape):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


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
    return "[redacted: email]" if "@" in detail else "[redacted: phone]"


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
