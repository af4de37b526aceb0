"""Import the council's own data from CSV: collection rounds, libraries, planning applications.

Every row is checked first. If any row is wrong, nothing is written and every problem is
reported as "row N: ..." (N is the line in the file; the header is row 1). Rows are matched by
their natural key (rounds: postcode prefix + bin type; libraries: name; planning: reference),
so re-importing a file updates rather than duplicates. With `replace=True` the table keeps only
the rows in the file (which also removes the sample rows).

Formats (header names are case-insensitive; extra columns are an error, so typos are caught):
  rounds:    postcode_prefix, round_name, bin_type, weekday, every_weeks, first_date
  libraries: name, address, phone, mon, tue, wed, thu, fri, sat, sun   (e.g. 09:30-17:00 or closed)
  planning:  reference, address, description, status, decision_due, decided_at, decision
Dates are YYYY-MM-DD or DD/MM/YYYY.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import delete, select

from services.bins import BIN_TYPES, normalise_bin_type
from services.dates import DAY_KEYS, DAY_NAMES, parse_clock
from services.planning import find_reference as find_planning_reference
from services.postcodes import is_valid_prefix, normalise_prefix
from storage.db import Database
from storage.models import CollectionRound, Library, PlanningApplication

ROUND_COLUMNS = (
    "postcode_prefix",
    "round_name",
    "bin_type",
    "weekday",
    "every_weeks",
    "first_date",
)
LIBRARY_COLUMNS = ("name", "address", "phone", *DAY_KEYS)
PLANNING_COLUMNS = (
    "reference",
    "address",
    "description",
    "status",
    "decision_due",
    "decided_at",
    "decision",
)
MAX_ROWS = 100_000
T = TypeVar("T")


class ImportFailed(ValueError):
    """The file was not imported. `errors` lists every problem found, one per line."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    removed: int = 0
    rows: int = 0
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"{self.rows} rows: {self.created} created, {self.updated} updated"
        return text + (f", {self.removed} removed" if self.removed else "")


class RowError(ValueError):
    pass


# --- field parsers (raise RowError with a plain message) ------------------------------------


def _required(row: dict[str, str], name: str, max_len: int) -> str:
    value = (row.get(name) or "").strip()
    if not value:
        raise RowError(f"{name} is empty")
    if len(value) > max_len:
        raise RowError(f"{name} is longer than {max_len} characters")
    return value


def _optional(row: dict[str, str], name: str, max_len: int) -> str | None:
    value = (row.get(name) or "").strip()
    if len(value) > max_len:
        raise RowError(f"{name} is longer than {max_len} characters")
    return value or None


def _date(row: dict[str, str], name: str, required: bool = False) -> datetime | None:
    value = (row.get(name) or "").strip()
    if not value:
        if required:
            raise RowError(f"{name} is empty")
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    raise RowError(f"{name} {value!r} is not a date like 2026-12-01 or 01/12/2026")


def _weekday(value: str) -> int:
    text = value.strip().lower()
    for i, name in enumerate(DAY_NAMES):
        if text in (name.lower(), DAY_KEYS[i]):
            return i
    raise RowError(f"weekday {value!r} is not a day of the week (Monday to Sunday)")


def _hours(row: dict[str, str], day: str) -> str | None:
    value = (row.get(day) or "").strip().lower()
    if value in ("", "closed", "-"):
        return None
    opens, sep, closes = value.replace(" ", "").partition("-")
    try:
        if not sep:
            raise ValueError
        start, end = parse_clock(opens), parse_clock(closes)
    except ValueError:
        raise RowError(f"{day} {value!r} is not opening hours like 09:30-17:00 or closed") from None
    if end <= start:
        raise RowError(f"{day} {value!r} closes before it opens")
    return f"{start:%H:%M}-{end:%H:%M}"


# --- row parsers: (natural key, values) -----------------------------------------------------


def _round(row: dict[str, str]) -> tuple[tuple, dict[str, Any]]:
    prefix = normalise_prefix(_required(row, "postcode_prefix", 10))
    if not is_valid_prefix(prefix):
        raise RowError(
            f"postcode_prefix {prefix!r} is not a postcode, sector (HR1 2) or district (HR1)"
        )
    bin_type = normalise_bin_type(_required(row, "bin_type", 20))
    if bin_type is None:
        raise RowError(f"bin_type {row.get('bin_type')!r} is not one of: {', '.join(BIN_TYPES)}")
    weekday = _weekday(_required(row, "weekday", 12))
    every = (row.get("every_weeks") or "").strip() or "1"
    if not every.isdigit() or not 1 <= int(every) <= 8:
        raise RowError(f"every_weeks {every!r} is not a whole number from 1 to 8")
    first = _date(row, "first_date", required=True)
    if first.weekday() != weekday:
        raise RowError(
            f"first_date {first:%Y-%m-%d} is a {DAY_NAMES[first.weekday()]}, "
            f"not a {DAY_NAMES[weekday]}"
        )
    return (prefix, bin_type), {
        "postcode_prefix": prefix,
        "bin_type": bin_type,
        "round_name": _required(row, "round_name", 40),
        "weekday": weekday,
        "every_weeks": int(every),
        "first_date": first,
    }


def _library(row: dict[str, str]) -> tuple[tuple, dict[str, Any]]:
    name = _required(row, "name", 60)
    hours = {day: _hours(row, day) for day in DAY_KEYS}
    if not any(hours.values()):
        raise RowError("the library is closed every day: give opening hours for at least one day")
    return (name.lower(),), {
        "name": name,
        "address": _required(row, "address", 200),
        "phone": _optional(row, "phone", 20),
        "hours": hours,
    }


def _planning(row: dict[str, str]) -> tuple[tuple, dict[str, Any]]:
    raw = _required(row, "reference", 12)
    reference = find_planning_reference(raw)
    if reference is None:
        raise RowError(f"reference {raw!r} is not like P231456/F")
    decided, decision = _date(row, "decided_at"), _optional(row, "decision", 40)
    if decision and not decided:
        raise RowError("decision is given but decided_at is empty")
    return (reference,), {
        "reference": reference,
        "address": _required(row, "address", 200),
        "description": _required(row, "description", 2000),
        "status": _required(row, "status", 40),
        "decision_due": _date(row, "decision_due"),
        "decided_at": decided,
        "decision": decision,
    }


@dataclass(frozen=True)
class Table:
    """One kind of council file: its columns, how a row is read (-> key, values), the table it
    fills and the natural key existing rows are matched by."""

    columns: tuple[str, ...]
    parse: Callable[[dict[str, str]], tuple[tuple, dict[str, Any]]]
    model: type
    key_of: Callable[[Any], tuple]


ROUNDS = Table(ROUND_COLUMNS, _round, CollectionRound, lambda r: (r.postcode_prefix, r.bin_type))
LIBRARIES = Table(LIBRARY_COLUMNS, _library, Library, lambda r: (r.name.lower(),))
PLANNING = Table(PLANNING_COLUMNS, _planning, PlanningApplication, lambda r: (r.reference,))


# --- the shared import loop -----------------------------------------------------------------


def read_rows(
    source: str | Path | Iterable[str], columns: tuple[str, ...]
) -> list[tuple[int, dict]]:
    """(line number, row) pairs. Raises ImportFailed for a missing or unexpected header."""
    if isinstance(source, str | Path):
        text = Path(source).read_text(encoding="utf-8-sig")
    else:
        text = "".join(source)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in columns if c not in header]
    unknown = [h for h in header if h not in columns]
    problems = []
    if not header:
        problems.append("row 1: the file is empty or has no header row")
    else:
        if missing:
            problems.append(f"row 1: missing column(s): {', '.join(missing)}")
        if unknown:
            problems.append(f"row 1: unknown column(s): {', '.join(unknown)}")
    if problems:
        raise ImportFailed(problems)
    reader.fieldnames = header
    rows = []
    for row in reader:
        if len(rows) >= MAX_ROWS:
            raise ImportFailed([f"the file has more than {MAX_ROWS} rows"])
        if None in row:
            rows.append((reader.line_num, {"__extra__": row[None]}))
            continue
        if not any((v or "").strip() for v in row.values()):
            continue  # blank line
        rows.append((reader.line_num, row))
    if not rows:
        raise ImportFailed(["the file has no data rows"])
    return rows


def checked_rows(source, columns: tuple[str, ...], parse: Callable[[dict[str, str]], T],
                 errors: list[str]) -> Iterator[tuple[int, T]]:
    """(line number, the row as `parse` reads it). A row with more values than columns, or one
    `parse` refuses with a RowError, is added to `errors` as "row N: ..." instead, so every
    problem in the file is listed before anything is written."""
    for line, row in read_rows(source, columns):
        if "__extra__" in row:
            errors.append(f"row {line}: has more values than there are columns")
            continue
        try:
            value = parse(row)
        except RowError as exc:
            errors.append(f"row {line}: {exc}")
            continue
        yield line, value


def _import(db: Database, source, table: Table, replace: bool) -> ImportResult:
    errors: list[str] = []
    parsed: dict[tuple, dict[str, Any]] = {}
    first_seen: dict[tuple, int] = {}
    for line, (key, values) in checked_rows(source, table.columns, table.parse, errors):
        if key in parsed:
            errors.append(f"row {line}: repeats row {first_seen[key]} ({' '.join(map(str, key))})")
            continue
        parsed[key], first_seen[key] = values, line
    if errors:
        raise ImportFailed(errors)

    result = ImportResult(rows=len(parsed))
    with db.session() as s:
        existing = {table.key_of(row): row for row in s.scalars(select(table.model)).all()}
        for key, values in parsed.items():
            row = existing.get(key)
            if row is None:
                s.add(table.model(**values, sample=False))
                result.created += 1
                continue
            changed = row.sample
            for name, value in values.items():
                if getattr(row, name) != value:
                    setattr(row, name, value)
                    changed = True
            row.sample = False
            result.updated += int(changed)
        if replace:
            stale = [row.id for key, row in existing.items() if key not in parsed]
            if stale:
                s.execute(delete(table.model).where(table.model.id.in_(stale)))
            result.removed = len(stale)
    return result


def import_rounds(db: Database, source, replace: bool = False) -> ImportResult:
    return _import(db, source, ROUNDS, replace)


def import_libraries(db: Database, source, replace: bool = False) -> ImportResult:
    return _import(db, source, LIBRARIES, replace)


def import_planning(db: Database, source, replace: bool = False) -> ImportResult:
    return _import(db, source, PLANNING, replace)
