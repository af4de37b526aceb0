"""Planning application look-ups by reference (Herefordshire style: P231456/F)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from services.dates import full_date
from services.matching import find_first
from storage.db import Database
from storage.models import PlanningApplication

_REFERENCE = re.compile(r"(?<![A-Za-z0-9])[Pp]\s*([0-9]{6})\s*/\s*([A-Za-z]{1,2})(?![A-Za-z0-9])")


def find_reference(text: str | None) -> str | None:
    """'p231456 / f' -> 'P231456/F', or None."""
    return find_first(_REFERENCE, text, lambda m: f"P{m.group(1)}/{m.group(2).upper()}")


@dataclass(frozen=True)
class PlanningInfo:
    reference: str
    address: str
    description: str
    status: str
    decision_due: date | None
    decided_at: date | None
    decision: str | None

    def status_in_words(self) -> str:
        if self.decision:
            when = f" on {full_date(self.decided_at)}" if self.decided_at else ""
            text = f"We made a decision{when}: {self.decision.lower()}."
            if self.status.lower() != "decided":
                text += f" Status now: {self.status.lower()}."
            return text
        text = f"Status: {self.status.lower()}."
        if self.decision_due:
            text += f" We aim to decide by {full_date(self.decision_due)}."
        return text


def find_application(db: Database, reference: str) -> PlanningInfo | None:
    ref = find_reference(reference)
    if not ref:
        return None
    with db.session() as s:
        row = s.scalars(
            select(PlanningApplication).where(PlanningApplication.reference == ref)
        ).first()
        if row is None:
            return None
        return PlanningInfo(
            row.reference,
            row.address,
            row.description,
            row.status,
            row.decision_due.date() if row.decision_due else None,
            row.decided_at.date() if row.decided_at else None,
            row.decision,
        )
