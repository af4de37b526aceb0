"""Proving a phone number before it becomes a web conversation's identity (issue 14, item 1).

A number typed into the web chat's callback form is only where to call back. To link the
chat to that number's recorded choices (opt-outs made by phone or text, "what choices do you
hold", withdrawals), the resident types back a one-time code we text to it. Codes are short
lived, allow few attempts, are compared in constant time and stored only as a keyed hash;
how many are sent is limited per conversation and per number.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from storage.models import PhoneVerification, utcnow

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=10)
MAX_ATTEMPTS = 5
MAX_CODES_PER_HOUR = 3  # per conversation and per number: stops texting strangers in bulk

CODE_TEXT = ("Your code for the {council} chat is {code}. It works for 10 minutes. "
             "Do not share it. If you did not ask for it, you can ignore this text.")
TOO_MANY_CODES = ("You have asked for too many codes. Try again in an hour, "
                  "or talk to a person.")
NOT_SENT = "We could not send a text to that number. Check the number, or talk to a person."
NO_CODE = "Ask us to text you a code first."
NO_NUMBER = "Ask us to call you back first, then we can text a code to that number."
EXPIRED = "That code has run out. Ask us to text you a new one."
LOCKED = "That code was entered wrongly too many times. Ask us to text you a new one."
WRONG = "That code is not right. Check the text we sent and try again."
ENTER_CODE = "Enter the 6-digit code from the text we sent"


class VerificationError(ValueError):
    """A plain-English reason the code was not sent or not accepted."""


@dataclass(frozen=True)
class VerificationStatus:
    number_ending: str | None   # last digits of the number a code went to (or was proved)
    code_sent: bool             # a code is waiting to be typed back
    verified: bool


def _hash(key: str, verification_id: int, code: str) -> str:
    message = f"{verification_id}:{code}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def _latest(s: Session, conversation_id: str) -> PhoneVerification | None:
    return s.scalar(select(PhoneVerification)
                    .where(PhoneVerification.conversation_id == conversation_id)
                    .order_by(PhoneVerification.id.desc()).limit(1))


def send_code(s: Session, *, conversation_id: str, address: str, key: str, council: str,
              send_sms: Callable[[str, str], None]) -> None:
    """Text a new code to `address`. Raises VerificationError if too many were sent lately or
    the text could not be sent (then nothing is stored)."""
    hour_ago = utcnow() - timedelta(hours=1)
    recent = s.scalar(select(func.count(PhoneVerification.id)).where(
        PhoneVerification.created_at >= hour_ago,
        or_(PhoneVerification.conversation_id == conversation_id,
            PhoneVerification.address == address)))
    if (recent or 0) >= MAX_CODES_PER_HOUR:
        raise VerificationError(TOO_MANY_CODES)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    row = PhoneVerification(conversation_id=conversation_id, address=address, code_hash="-",
                            expires_at=utcnow() + CODE_LIFETIME)
    s.add(row)
    s.flush()
    row.code_hash = _hash(key, row.id, code)
    try:
        send_sms(address, CODE_TEXT.format(council=council, code=code))
    except Exception as exc:  # noqa: BLE001 - any Twilio or network failure
        raise VerificationError(NOT_SENT) from exc


def check_code(s: Session, *, conversation_id: str, code: str, key: str) -> tuple[str | None, str]:
    """Returns (the proved number, "") or (None, why not). Never raises for a wrong code, so
    the caller commits the counted attempt."""
    code = "".join((code or "").split())
    if not (len(code) == CODE_DIGITS and code.isdigit()):
        return None, ENTER_CODE
    row = _latest(s, conversation_id)
    if row is None or row.verified_at is not None:
        return None, NO_CODE
    if row.expires_at < utcnow():
        return None, EXPIRED
    if row.attempts >= MAX_ATTEMPTS:
        return None, LOCKED
    row.attempts += 1
    if not hmac.compare_digest(_hash(key, row.id, code), row.code_hash):
        return None, (LOCKED if row.attempts >= MAX_ATTEMPTS else WRONG)
    row.verified_at = utcnow()
    return row.address, ""


def status(s: Session, conversation_id: str) -> VerificationStatus:
    row = _latest(s, conversation_id)
    if row is None:
        return VerificationStatus(None, False, False)
    live = row.verified_at is None and row.expires_at >= utcnow() and row.attempts < MAX_ATTEMPTS
    verified = s.scalar(select(func.count(PhoneVerification.id)).where(
        PhoneVerification.conversation_id == conversation_id,
        PhoneVerification.verified_at.is_not(None))) or 0
    return VerificationStatus(row.address[-4:], live, verified > 0)
