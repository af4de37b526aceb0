"""Two-factor sign-in for advisors: TOTP (RFC 6238, via pyotp) and one-time recovery codes.

- Secrets are encrypted at rest with Fernet under a key derived from SECRET_KEY, and never
  logged. Rotating SECRET_KEY therefore means every advisor re-enrols
  (`contact-assistant advisor reset-2fa EMAIL`).
- A code is accepted for the current 30-second step or one either side (clock drift), and only
  for a step later than the last one accepted, so a code seen over a shoulder cannot be reused.
- Ten recovery codes of 80 random bits each are shown once; only their SHA-256 is stored (the
  codes are too long to guess, so a slow hash adds nothing).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Advisor, AdvisorRecoveryCode, utcnow

STEP_SECONDS = 30
VALID_WINDOW = 1  # steps either side of now
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
_RECOVERY_LENGTH = 16  # 16 characters of 31 = 79 bits
_NOT_CODE = re.compile(r"[\s-]")


def now() -> float:
    """The clock, in one place so tests can move it."""
    return time.time()


# --- secrets at rest --------------------------------------------------------------------------


def _fernet(secret_key: str) -> Fernet:
    key = hashlib.sha256(b"advisor-totp-secret:v1:" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_secret(secret: str, secret_key: str) -> str:
    return _fernet(secret_key).encrypt(secret.encode()).decode()


def decrypt_secret(token: str | None, secret_key: str) -> str | None:
    """The TOTP secret, or None if there is none or it cannot be read (e.g. a new SECRET_KEY)."""
    if not token:
        return None
    try:
        return _fernet(secret_key).decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def spaced(secret: str) -> str:
    """"ABCD EFGH ..." so a person can type it into an app without losing their place."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_svg(uri: str, title: str) -> str:
    """The otpauth:// URI as an inline SVG QR code (no request to anyone, no script)."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, border=4, title=title,
                                                 dark="#0b0c0c", light="#ffffff")
    return svg.replace("<svg ", '<svg role="img" ', 1)


# --- checking codes ---------------------------------------------------------------------------


def _normalise(code: str) -> str:
    return _NOT_CODE.sub("", code or "").lower()


def matching_step(secret: str, code: str, last_step: int | None, at: float | None = None
                  ) -> int | None:
    """The time step `code` belongs to, if it is within the window and newer than `last_step`."""
    code = _normalise(code)
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    current = int((now() if at is None else at) // STEP_SECONDS)
    found = None
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        # Every candidate is checked, in constant time, so timing says nothing.
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code) and (
                last_step is None or step > last_step):
            found = step
    return found


def verify_totp(advisor: Advisor, code: str, secret_key: str) -> bool:
    """True (and the step is used up) when `code` is a fresh code for the advisor's secret."""
    secret = decrypt_secret(advisor.totp_secret, secret_key)
    if secret is None:
        return False
    step = matching_step(secret, code, advisor.totp_last_step)
    if step is None:
        return False
    advisor.totp_last_step = step
    return True


def confirm_enrolment(advisor: Advisor, code: str, secret_key: str) -> bool:
    """Turn the pending secret into the advisor's secret if `code` comes from it."""
    secret = decrypt_secret(advisor.totp_pending, secret_key)
    if secret is None:
        return False
    step = matching_step(secret, code, None)
    if step is None:
        return False
    advisor.totp_secret, advisor.totp_pending, advisor.totp_last_step = (
        advisor.totp_pending, None, step)
    return True


# --- recovery codes ---------------------------------------------------------------------------


def _hash(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def new_recovery_codes(s: Session, advisor_id: int) -> list[str]:
    """Replace the advisor's recovery codes; the plain codes are returned to show once."""
    for old in s.scalars(select(AdvisorRecoveryCode).where(
            AdvisorRecoveryCode.advisor_id == advisor_id)):
        s.delete(old)
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        code = "-".join(raw[i:i + 4] for i in range(0, _RECOVERY_LENGTH, 4))
        s.add(AdvisorRecoveryCode(advisor_id=advisor_id, code_hash=_hash(code)))
        codes.append(code)
    return codes


def use_recovery_code(s: Session, advisor_id: int, code: str) -> bool:
    """True (and the code is spent) when `code` is one of the advisor's unused recovery codes."""
    if len(_normalise(code)) != _RECOVERY_LENGTH:
        return False
    row = s.scalar(select(AdvisorRecoveryCode).where(
        AdvisorRecoveryCode.advisor_id == advisor_id,
        AdvisorRecoveryCode.code_hash == _hash(code),
        AdvisorRecoveryCode.used_at.is_(None)))
    if row is None:
        return False
    row.used_at = utcnow()
    return True


def recovery_codes_left(s: Session, advisor_id: int) -> int:
    return len(s.scalars(select(AdvisorRecoveryCode.id).where(
        AdvisorRecoveryCode.advisor_id == advisor_id,
        AdvisorRecoveryCode.used_at.is_(None))).all())


def reset(s: Session, advisor: Advisor) -> None:
    """Forget the advisor's second factor: they enrol again at their next sign-in."""
    advisor.totp_secret = advisor.totp_pending = None
    advisor.totp_last_step = None
    for old in s.scalars(select(AdvisorRecoveryCode).where(
            AdvisorRecoveryCode.advisor_id == advisor.id)):
        s.delete(old)
