"""Cases residents report through the assistant, each with a unique HC-nnnnnn reference.

A new case and every status change write their outbox messages (the back-office post, the
resident's update) in the same transaction (services/outbox.py); the worker delivers them.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.delivery_settings import DeliverySettings, load_delivery_settings
from core.settings import ConfigError
from services import outbox
from services.matching import find_first
from services.postcodes import find_postcode
from storage.db import Database
from storage.models import Case, CaseStatusChange, Conversation, utcnow

KINDS = {
    "missed_bin": "missed bin",
    "pothole": "pothole",
    "fly_tipping": "fly-tipping",
    "streetlight": "street light fault",
    "other": "problem",
}
CONTACT_PREFERENCES = ("email", "phone", "text message", "no updates")
# The statuses staff and back offices set; the resident hears about each of these.
STATUSES = ("Received", "Scheduled", "Fixed", "Closed")
# Which outbox kind carries an update for each contact preference ("no updates": none).
UPDATE_KINDS = {"email": "email", "text message": "sms", "phone": "phone_call"}
STATUS_SOURCES = ("bot", "open311", "import", "console")
_REFERENCE = re.compile(r"(?<![A-Za-z0-9])(?:[Hh]\s*[Cc]\s*-?\s*)?([0-9]{6})(?![0-9])")


log = logging.getLogger(__name__)


class CaseError(RuntimeError):
    pass


def delivery_settings() -> DeliverySettings:
    """The delivery settings; if they are invalid, still queue the back-office post when a
    back office is named (the worker refuses to start and says why; nothing is lost)."""
    try:
        return load_delivery_settings()
    except ConfigError as exc:
        log.warning("delivery settings are invalid (%s); reports are queued regardless", exc)
        return DeliverySettings(open311_base_url=os.environ.get("OPEN311_BASE_URL", "").strip())


def new_reference() -> str:
    """HC- and six digits, never starting with 0 (so it reads well aloud)."""
    return f"HC-{100000 + secrets.randbelow(900000)}"


def find_reference(text: str | None) -> str | None:
    """'hc 123456', 'HC123456', 'HC-123456' or just '123456' -> 'HC-123456'."""
    return find_first(_REFERENCE, text, lambda m: f"HC-{m.group(1)}")


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


def normalise_status(text: str | None) -> str | None:
    """'fixed', ' FIXED ' -> 'Fixed'; None for anything that is not one of STATUSES."""
    wanted = " ".join((text or "").split()).lower()
    return next((s for s in STATUSES if s.lower() == wanted), None)


def _enqueue_update(session: Session, row: Case, change: CaseStatusChange) -> None:
    """The resident's update about `change`, on the channel they chose (none for no updates).
    Opt-outs are checked again by the worker just before sending: a STOP sent later wins."""
    kind = UPDATE_KINDS.get(row.contact_preference or "")
    if kind is None or change.status not in STATUSES:
        return
    outbox.enqueue(
        session, kind=kind, key=f"update:{row.reference}:{change.id}", case_id=row.id,
        payload={"reference": row.reference, "status": change.status, "note": change.note,
                 "change_id": change.id, "purpose": "status"},
    )


def record_status(session: Session, row: Case, status: str, note: str | None, *, source: str,
                  advisor_id: int | None = None, at: datetime | None = None
                  ) -> CaseStatusChange | None:
    """Change a case's status in the caller's transaction: history row + resident's update.
    Returns None (and sends nothing) when neither the status nor the note changed."""
    if source not in STATUS_SOURCES:
        raise CaseError(f"unknown status source {source!r}")
    status = " ".join((status or "").split())[:40]
    note = " ".join((note or "").split())[:2000] or None
    if not status:
        raise CaseError("a status is needed")
    if row.history and row.status == status and (row.status_note or None) == note:
        return None
    row.status, row.status_note = status, note
    row.status_updated_at = at or utcnow()
    change = CaseStatusChange(case_id=row.id, status=status, note=note, source=source,
                              advisor_id=advisor_id)
    session.add(change)
    session.flush()
    row.history.append(change)
    _enqueue_update(session, row, change)
    return change


def set_status(db: Database, reference: str, status: str, note: str | None, *, source: str,
               advisor_id: int | None = None) -> CaseStatusChange | None:
    ref = find_reference(reference)
    with db.session() as s:
        row = s.scalars(select(Case).where(Case.reference == ref)).first() if ref else None
        if row is None:
            raise CaseError(f"no case has the reference {reference!r}")
        return record_status(s, row, status, note, source=source, advisor_id=advisor_id)


def create_case(
    db: Database,
    *,
    kind: str,
    location: str,
    details: str | None = None,
    contact_preference: str | None = None,
    postcode: str | None = None,
    conversation_id: str | None = None,
    contact_email: str | None = None,
    contact_phone: str | None = None,
    text_reference: bool = False,
    delivery: DeliverySettings | None = None,
    attempts: int = 20,
) -> CaseInfo:
    """Insert a case with a fresh unique reference (retrying on the rare collision), with its
    outbox messages in the same transaction: the back-office post when Open311 is set up and
    maps this kind, the resident's "received" update, and (a caller who said yes) a text with
    the reference."""
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
                    contact_email=(contact_email or "").strip()[:254] or None,
                    contact_phone=(contact_phone or "").strip()[:32] or None,
                )
                s.add(row)
                s.flush()
                _enqueue_new_case(s, row, delivery or delivery_settings(), text_reference)
                return _info(row)
        except IntegrityError:
            continue  # someone else took the reference between our check and insert
    raise CaseError("could not find a free case reference")


def _enqueue_new_case(session: Session, row: Case, delivery: DeliverySettings,
                      text_reference: bool) -> None:
    codes = delivery.open311_service_codes
    if delivery.open311_enabled and (not codes or delivery.service_code(row.kind)):
        outbox.enqueue(session, kind="open311_post", key=f"open311:{row.reference}",
                       case_id=row.id, payload={"reference": row.reference})
    record_status(session, row, "Received", None, source="bot")
    # A caller who asked for a text with the reference gets one, unless their "received"
    # update is already a text (one message, not two).
    if text_reference and row.contact_preference != "text message":
        outbox.enqueue(session, kind="sms", key=f"reference:{row.reference}", case_id=row.id,
                       payload={"reference": row.reference, "purpose": "reference"})


def _digits(text: str | None) -> str:
    digits = re.sub(r"\D", "", text or "")
    if digits.startswith("44"):
        digits = digits[2:]
    return digits.lstrip("0")


def proves_case(row: Case, proof: str | None) -> bool:
    """True when `proof` names the postcode, phone number or email address on the case.
    Without it nobody is told a case's status (references are only six digits)."""
    text = (proof or "").strip()
    if not text:
        return False
    postcode = find_postcode(text)
    if postcode and row.postcode and postcode == find_postcode(row.postcode):
        return True
    if row.contact_email and row.contact_email.lower() in text.lower():
        return True
    phone = _digits(row.contact_phone)
    return len(phone) >= 9 and phone in _digits(text)


def check_case(db: Database, reference: str, proof: str | None) -> tuple[bool, CaseInfo | None]:
    """(exists, info): info only when `proof` matches the case (see proves_case)."""
    ref = find_reference(reference)
    if not ref:
        return False, None
    with db.session() as s:
        row = s.scalars(select(Case).where(Case.reference == ref)).first()
        if row is None:
            return False, None
        return True, (_info(row) if proves_case(row, proof) else None)


def caller_number(db: Database, conversation_id: str | None) -> tuple[str | None, str | None]:
    """(channel, number) for a phone call or SMS thread: the number Twilio told us it came
    from. None for web chat, where a typed number is not proof of anything."""
    if not conversation_id:
        return None, None
    with db.session() as s:
        row = s.get(Conversation, conversation_id)
        if row is None:
            return None, None
        return row.channel, (row.address if row.channel in ("phone", "sms") else None)


def case_exists(db: Database, reference: str) -> bool:
    return check_case(db, reference, None)[0]


def find_case(db: Database, reference: str) -> CaseInfo | None:
    ref = find_reference(reference)
    if not ref:
        return None
    with db.session() as s:
        row = s.scalars(select(Case).where(Case.reference == ref)).first()
        return _info(row) if row else None
