"""Import case status changes from the council's back office as CSV, for councils without
Open311: `contact-assistant data import-case-status FILE`.

Columns (header names are case-insensitive): reference, status, notes, updated_at.
  reference   HC-123456 (as the resident was given it)
  status      Received, Scheduled, Fixed or Closed (closing needs a note: the reason)
  notes       what the resident is told with the status (optional, except when closing)
  updated_at  when the back office changed it: 2026-12-03T14:05:00Z, 2026-12-03 14:05 or
              2026-12-03 (times without a zone are UK local time)

Every row is checked first; if any row is wrong nothing is imported and every problem is
listed. A row older than the case's latest change is skipped (a re-import changes nothing),
and each real change queues the resident's update in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from services.cases import STATUSES, find_reference, normalise_status, record_status
from services.csv_import import ImportFailed, RowError, checked_rows
from storage.db import Database
from storage.models import Case

COLUMNS = ("reference", "status", "notes", "updated_at")
LOCAL = ZoneInfo("Europe/London")


@dataclass
class StatusImportResult:
    rows: int = 0
    changed: int = 0
    unchanged: int = 0
    older: int = 0

    def __str__(self) -> str:
        return (f"{self.rows} rows: {self.changed} changed, {self.unchanged} already up to date, "
                f"{self.older} older than the case's latest change")


def parse_when(text: str) -> datetime:
    """-> naive UTC. ValueError with a plain message for anything else."""
    value = text.strip()
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d", "%d/%m/%Y %H:%M", "%d/%m/%Y"):
        try:
            local = datetime.strptime(value, fmt)
            break
        except ValueError:
            continue
    else:
        try:
            local = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"updated_at {value!r} is not a date and time like "
                             "2026-12-03 14:05 or 2026-12-03T14:05:00Z") from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=LOCAL)
    return local.astimezone(UTC).replace(tzinfo=None)


def _status_change(row: dict[str, str]) -> tuple[str, str, str | None, datetime]:
    """(reference, status, notes, when); RowError listing every problem in the row."""
    reference = find_reference((row.get("reference") or "").strip())
    status = normalise_status(row.get("status"))
    notes = " ".join((row.get("notes") or "").split()) or None
    problems = []
    if reference is None:
        problems.append(f"reference {row.get('reference')!r} is not like HC-123456")
    if status is None:
        problems.append(f"status {row.get('status')!r} is not one of {', '.join(STATUSES)}")
    if status == "Closed" and not notes:
        problems.append("a closed case needs notes saying why")
    if notes and len(notes) > 2000:
        problems.append("notes are longer than 2000 characters")
    try:
        when = parse_when(row.get("updated_at") or "")
    except ValueError as exc:
        problems.append(str(exc))
    if problems:
        raise RowError("; ".join(problems))
    return reference, status, notes, when  # type: ignore[return-value] - checked above


def import_case_status(db: Database, source) -> StatusImportResult:
    errors: list[str] = []
    parsed = [(line, *change)
              for line, change in checked_rows(source, COLUMNS, _status_change, errors)]

    with db.session() as s:
        wanted = {ref for _, ref, *_ in parsed}
        cases = {c.reference: c for c in s.scalars(select(Case).where(Case.reference.in_(wanted)))}
        for line, reference, *_ in parsed:
            if reference not in cases:
                errors.append(f"row {line}: no case has the reference {reference}")
        if errors:
            raise ImportFailed(sorted(errors, key=lambda e: int(e.split(":")[0].split()[1])))
        result = StatusImportResult(rows=len(parsed))
        # Oldest first, so a file with several changes to one case ends on the latest.
        for _line, reference, status, notes, when in sorted(parsed, key=lambda p: p[4]):
            case = cases[reference]
            last = case.history[-1] if case.history else None
            # Our own "Received" at creation is not a back-office change: never "newer".
            if (last is not None and last.source != "bot" and case.status_updated_at
                    and when < case.status_updated_at.replace(microsecond=0)):
                result.older += 1
                continue
            change = record_status(s, case, status, notes, source="import", at=when)
            if change is None:
                result.unchanged += 1
            else:
                result.changed += 1
    return result
