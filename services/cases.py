"""Cases residents report through the assistant, each with a unique HC-nnnnnn reference."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import Case

KINDS = {
    "missed_bin": "missed bin",
    "pothole": "pothole",
    "fly_tipping": "fly-tipping",
    "streetlight": "street light fault",
    "other": "problem",
}
CONTACT_PREFERENCES = ("email", "phone", "text message", "no updates")
_REFERENCE = re.compile(r"(?<![A-Za-z0-9])(?:[Hh]\s*[Cc]\s*-?\s*)?([0-9]{6})(?![0-9])")


class CaseError(RuntimeError):
    pass


def new_reference() -> str:
    """HC- and six digits, never starting with 0 (so it reads well aloud)."""
    return f"HC-{100000 + secrets.randbelow(900000)}"


def find_reference(text: str | None) -> str | None:
    """'hc 123456', 'HC123456', 'HC-123456' or just '123456' -> 'HC-123456'."""
    if not text:
        return None
    m = _REFERENCE.search(text)
    return f"HC-{m.group(1)}" if m else None


def spoken_reference(reference: str) -> str:
    """'HC-123456' -> 'H C, 1 2 3, 4 5 6' for the phone."""
    digits = reference.removeprefix("HC-")
    return f"H C, {' '.join(digits[:3])}, {' '.join(digits[3:])}"


@dataclass(frozen=True)
class CaseInfo:
    reference: str
    kind: str
    location: str
    status: str
    status_note: str | None

    @property
    def kind_in_words(self) -> str:
        return KINDS.get(self.kind, self.kind.replace("_", " "))


def _info(row: Case) -> CaseInfo:
    return CaseInfo(row.reference, row.kind, row.location, row.status, row.status_note)


def create_case(
    db: Database,
    *,
    kind: str,
    location: str,
    details: str | None = None,
    contact_preference: str | None = None,
    postcode: str | None = None,
    conversation_id: str | None = None,
    attempts: int = 20,
) -> CaseInfo:
    """Insert a case with a fresh unique reference (retrying on the rare collision)."""
    if kind not in KINDS:
        raise CaseError(f"unknown kind of case {kind!r}")
    if not location or not location.strip():
        raise CaseError("a case needs a location")
    for _ in range(attempts):
        reference = new_reference()
        try:
            with db.session() as s:
                if s.scalar(select(Case.id).where(Case.reference == reference)) is not None:
                    continue
                row = Case(
                    reference=reference,
                    kind=kind,
                    location=location.strip()[:500],
                    postcode=postcode,
                    details=(details or "").strip()[:2000] or None,
                    contact_preference=contact_preference,
                    status="Received",
                    conversation_id=conversation_id,
                )
                s.add(row)
                s.flush()
                return _info(row)
        except IntegrityError:
            continue  # someone else took the reference between our check and insert
    raise CaseError("could not find a free case reference")


def find_case(db: Database, reference: str) -> CaseInfo | None:
    ref = find_reference(reference)
    if not ref:
        return None
    with db.session() as s:
        row = s.scalars(select(Case).where(Case.reference == ref)).first()
        return _info(row) if row else None
