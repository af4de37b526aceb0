"""PII redaction, applied before any message is stored, sent to Rasa or logged.

Each kind becomes `[redacted: kind]`. Card numbers are only redacted when they pass
the Luhn check, so case references and other long numbers survive.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_NI = re.compile(
    r"\b(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r"\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b",
    re.IGNORECASE,
)
_SORT_CODE = re.compile(r"(?<![\d-])\d{2}[- ]\d{2}[- ]\d{2}(?![\d-])")
_SORT_CODE_WORDED = re.compile(r"(sort\s*code\D{0,12})(\d{6})\b", re.IGNORECASE)
_PHONE = re.compile(
    r"(?<![\w-])(?:\+44\s?\(?0?\)?\s?|\(?0)(?:\d[\s-]?\)?){9,10}(?!\d)"
)
_ACCOUNT = re.compile(r"(?<![\d-])\d{8}(?![\d-])")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def _card(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "[redacted: card]" if 13 <= len(digits) <= 19 and _luhn_ok(digits) else match.group(0)


def redact(text: str, kinds: Iterable[str] | None = None) -> str:
    """Replace personal data in `text`. Order matters: cards before phones and accounts."""
    enabled = set(kinds) if kinds is not None else {
        "card", "email", "phone", "ni_number", "sort_code", "account_number"
    }
    if "card" in enabled:
        text = _CARD.sub(_card, text)
    if "email" in enabled:
        text = _EMAIL.sub("[redacted: email]", text)
    if "ni_number" in enabled:
        text = _NI.sub("[redacted: ni_number]", text)
    if "phone" in enabled:
        text = _PHONE.sub("[redacted: phone]", text)
    if "sort_code" in enabled:
        text = _SORT_CODE.sub("[redacted: sort_code]", text)
        text = _SORT_CODE_WORDED.sub(lambda m: m.group(1) + "[redacted: sort_code]", text)
    if "account_number" in enabled:
        text = _ACCOUNT.sub("[redacted: account_number]", text)
    return text
