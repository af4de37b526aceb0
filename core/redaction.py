"""PII redaction, applied before any message is stored, sent to Rasa or logged.

Pure functions with no imports of ours, so every process can use them: the web app (through
privacy/redaction.py, the privacy package's public API), and the Rasa and action-server
processes' log filter (core/log_redaction.py; bot/ may not import privacy/).

Each kind found becomes `[redacted: kind]`:

- ``email``: email addresses.
- ``card``: payment card numbers (13 to 19 digits, contiguous or in card-style groups) that pass
  the Luhn check. Numbers that fail it are left alone: they are not cards.
- ``ni_number``: National Insurance numbers (``QQ 12 34 56 C``), or two letters and six digits
  when the resident says it is their NI number.
- ``phone``: UK phone numbers in the usual ways of writing them (``07700 900123``,
  ``+44 7700 900123``, ``0044 7700 900123``, ``01432 260000``, ``(01432) 260000``,
  ``+44 (0)1432 260000``, ``0800 234 6034``).
- ``sort_code``: ``12-34-56`` or ``12 34 56``, and ``sort code 123456``. A group that reads as
  a date (``12-03-24``) is only redacted after a banking word (sort code, bank, account, a/c,
  direct debit) in the same sentence.
- ``account_number``: eight digits, or ``1234 5678`` after a banking word in the same sentence.
  Eight digits that read as a date (``20240115``) also need a banking word.

Council references survive: case references (``HC-104233``), planning references
(``P231456/F``), postcodes (``HR4 0LE``), dates and times.

`REDACT_KINDS` (settings.redact_kinds) chooses the kinds; the default is all of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

ALL_KINDS = ("card", "email", "phone", "ni_number", "sort_code", "account_number")

# Applied in this order: emails first (they may hold digits), then the longest numbers.
ORDER = ("email", "card", "ni_number", "phone", "sort_code", "account_number")


def marker(kind: str) -> str:
    """What stands in for a detail of this kind: "[redacted: email]". The one spelling the
    router, the forms and the NLU all read (MARKER finds any of them)."""
    return f"[redacted: {kind}]"


MARKER = re.compile(r"\[redacted: [a-z_]+\]")


def has_marker(text: str | None) -> bool:
    """Whether `text` holds a detail someone redacted (the router keeps the detail itself)."""
    return bool(text) and MARKER.search(text) is not None


_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")

# Card-shaped digits: contiguous 13-19, groups of four (4-4-4-4, up to 19 digits), or American
# Express (4-6-5). Tried at every digit group, so a failed Luhn check never hides a real card
# that starts one group later.
_CARD_START = re.compile(r"(?<![\w-])(?=\d)")
_CARD_SHAPES = (
    re.compile(r"\d{13,19}(?![\w-])"),
    re.compile(r"\d{4}([ -])\d{4}\1\d{4}\1\d{4}\1\d{1,3}(?![\w-])"),
    re.compile(r"\d{4}([ -])\d{4}\1\d{4}\1\d{1,4}(?![\w-])"),
    re.compile(r"\d{4}([ -])\d{6}\1\d{5}(?![\w-])"),
)

_NI = re.compile(
    r"\b[A-Z]{2}[ -]?\d{2}[ -]?\d{2}[ -]?\d{2}[ -]?[A-D]\b",
    re.IGNORECASE,
)
_NI_WORDED = re.compile(
    r"((?:national\s+insurance|\bnino\b|\bn\.?i\b\.?)(?:\s+(?:number|no\b\.?))?\W{0,12}(?:is\s+)?)"
    r"([A-Z]{2}[ -]?\d{2}[ -]?\d{2}[ -]?\d{2})\b",
    re.IGNORECASE,
)

# UK numbers: a trunk 0 (maybe in brackets) or +44/0044 (maybe with "(0)"), then a national
# number of 9 or 10 digits, separated by single spaces or hyphens, or ")" after the area code.
_PHONE = re.compile(
    r"(?<![\w+/-])"
    r"(?:(?:\+|00)\s?44\s?(?:\(0\)\s?)?|\(0|0)"
    r"\d(?:(?:\)\s?|[ -])?\d){8,9}"
    r"(?![\w/-])"
)

# A number ends at a space, punctuation or the end, but not inside a decimal, date or reference.
_END = r"(?![\w/-]|[.,]\d)"
_SORT_CODE = re.compile(r"(?<![\w/.-])(\d{2})([- ])(\d{2})\2(\d{2})" + _END)
_SORT_CODE_WORDED = re.compile(
    r"(sort\s*-?\s*code\W{0,12}(?:(?:is|was|of)\W{1,3})?)(\d{6})\b", re.IGNORECASE
)

_ACCOUNT = re.compile(r"(?<![\w/.-])\d{8}" + _END)
_ACCOUNT_SPLIT = re.compile(r"(?<![\w/.-])\d{4}[ -]\d{4}" + _END)

_BANKING = re.compile(
    r"sort\s*-?\s*code|\bbank|\baccount|\ba/c\b|\bacc(?:t)?\b|\bdirect\s+debit|\bs/c\b",
    re.IGNORECASE,
)


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


_SENTENCE_END = re.compile(r"[!?\n]|\.\s")


def _near_banking(text: str, start: int) -> bool:
    """A banking word earlier in the same sentence. Our own markers ("[redacted:
    account_number]") are not banking words, so redacting twice changes nothing."""
    sentence = _SENTENCE_END.split(MARKER.sub(" ", text[:start]))[-1]
    return bool(_BANKING.search(sentence))


def _cards(text: str) -> str:
    out, kept_to, pos = [], 0, 0
    while (start := _CARD_START.search(text, pos)) is not None:
        at = start.start()
        for shape in _CARD_SHAPES:
            m = shape.match(text, at)
            if m and _luhn_ok(re.sub(r"\D", "", m.group(0))):
                out += [text[kept_to:at], marker("card")]
                kept_to = pos = m.end()
                break
        else:
            pos = at + 1
    return "".join(out) + text[kept_to:]


def _looks_like_short_date(day: str, month: str) -> bool:
    return 1 <= int(day) <= 31 and 1 <= int(month) <= 12


def _sort_code(text: str) -> str:
    def replace(m: re.Match) -> str:
        if _looks_like_short_date(m.group(1), m.group(3)) and not _near_banking(text, m.start()):
            return m.group(0)  # "12-03-24" is most likely a date
        return marker("sort_code")

    text = _SORT_CODE.sub(replace, text)
    return _SORT_CODE_WORDED.sub(lambda m: m.group(1) + marker("sort_code"), text)


def _looks_like_long_date(digits: str) -> bool:
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:])
    return 1900 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31


def _account(text: str) -> str:
    def replace(m: re.Match) -> str:
        if _looks_like_long_date(m.group(0)) and not _near_banking(text, m.start()):
            return m.group(0)
        return marker("account_number")

    text = _ACCOUNT.sub(replace, text)

    def replace_split(m: re.Match) -> str:
        return marker("account_number") if _near_banking(text, m.start()) else m.group(0)

    return _ACCOUNT_SPLIT.sub(replace_split, text)


def _apply(kind: str, text: str) -> str:
    if kind == "email":
        return _EMAIL.sub(marker("email"), text)
    if kind == "card":
        return _cards(text)
    if kind == "ni_number":
        text = _NI.sub(marker("ni_number"), text)
        return _NI_WORDED.sub(lambda m: m.group(1) + marker("ni_number"), text)
    if kind == "phone":
        return _PHONE.sub(marker("phone"), text)
    if kind == "sort_code":
        return _sort_code(text)
    if kind == "account_number":
        return _account(text)
    raise ValueError(f"unknown redaction kind {kind!r}")


def redact(text: str, kinds: Iterable[str] | None = None) -> str:
    """Replace personal data in `text` with `[redacted: kind]` for each enabled kind."""
    if not text:
        return text
    enabled = set(ALL_KINDS if kinds is None else kinds)
    unknown = enabled - set(ALL_KINDS)
    if unknown:
        raise ValueError(f"unknown redaction kinds: {', '.join(sorted(unknown))}")
    for kind in ORDER:
        if kind in enabled:
            text = _apply(kind, text)
    return text


def redact_data(value: Any, kinds: Iterable[str] | None = None) -> Any:
    """Redact every string inside JSON-like data (dicts, lists), e.g. a ticket summary."""
    kinds = tuple(ALL_KINDS if kinds is None else kinds)
    if isinstance(value, str):
        return redact(value, kinds)
    if isinstance(value, dict):
        return {k: redact_data(v, kinds) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v, kinds) for v in value]
    return value


def found_kinds(text: str, kinds: Iterable[str] | None = None) -> set[str]:
    """Which kinds `redact` would remove from `text` (for tests and audits)."""
    out = set()
    for kind in ALL_KINDS if kinds is None else kinds:
        if _apply(kind, text) != text:
            out.add(kind)
    return out
