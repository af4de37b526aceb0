"""What residents are told, in plain English: one short message per status change, and the
reference text a caller asked for. Every message says how to reach a person."""

from __future__ import annotations

KIND_WORDS = {
    "missed_bin": "missed bin",
    "pothole": "pothole",
    "fly_tipping": "fly-tipping",
    "streetlight": "street light",
    "other": "problem",
}

_STATUS_LINES = {
    "Received": "We have your report. We will tell you when it changes.",
    "Scheduled": "The work is booked.",
    "Fixed": "It is fixed. Thank you for telling us.",
    "Closed": "We have closed it.",
}


def subject(kind: str, reference: str) -> str:
    return f"Your {KIND_WORDS.get(kind, 'problem')} report {reference}"


def update_text(kind: str, reference: str, status: str, note: str | None, phone: str) -> str:
    """'Your pothole report HC-123456: It is fixed. ... To talk to a person, call ...'"""
    line = _STATUS_LINES.get(status, f"It has changed. It is now: {status}.")
    parts = [f"{subject(kind, reference)}: {line}"]
    if note:
        parts.append(note.strip().rstrip(".") + ".")
    parts.append(f"To talk to a person, call {phone}.")
    return " ".join(parts)


def reference_text(kind: str, reference: str, phone: str) -> str:
    return (f"Thank you for your {KIND_WORDS.get(kind, 'problem')} report. "
            f"Your reference is {reference}. Keep it to check on your report. "
            f"To talk to a person, call {phone}.")
