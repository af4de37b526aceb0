"""The council's service catalogue: one validated entry per service, kept as data, not code.

The shipped sample is catalogue/herefordshire.yml (marked `sample: true`). A council imports its
own with `contact-assistant data import-services FILE` (YAML like the sample, or CSV with the
columns in CSV_COLUMNS; lists in CSV cells are separated by "|"). Every entry is checked; if any
is wrong nothing is imported and each problem is reported as "service N (id): ...".

The action server (and the NLU's CatalogueArbiter) read the catalogue from the database (table
catalogue_services, filled only by an import) and use the shipped sample while that table is
empty, so a fresh clone answers at once and a sample edit needs no reload.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete, func, select

from services.readability import URL, flesch, word_count
from storage.db import Database
from storage.models import CatalogueService, utcnow

SAMPLE_FILE = Path(__file__).resolve().parent.parent / "catalogue" / "herefordshire.yml"
DEFAULT_PHONE = "01432 260000"
DEFAULT_HOURS = "Monday to Friday, 9am to 5pm"
MIN_READING_EASE = 60
MAX_ANSWER_WORDS = 70  # "about 60 words": a little room for a sentence that needs it
MAX_PHONE_WORDS = 40
MAX_SERVICES = 5000
# The assistant's own intents a catalogue entry may point to (a form or a look-up handles them).
HANDLED_INTENTS = frozenset({
    "bin_collection_day", "report_missed_bin", "report_pothole", "report_fly_tipping",
    "report_streetlight", "council_tax_pay", "council_tax_discount", "council_tax_move",
    "library_opening_hours", "my_account_help", "check_case_status",
    "planning_application_status", "broadband_help", "digital_skills_help", "parking_permit",
    "housing_help", "safeguarding_concern", "complaint", "contact_hours", "accessibility_request",
})
CSV_COLUMNS = ("id", "title", "synonyms", "answer", "phone_answer", "url", "phone", "hours",
               "place", "team", "intent", "examples", "lgsl")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
_TEAM = re.compile(r"^[a-z][a-z_]{1,63}$")
_PHONE = re.compile(r"^0[0-9 ]{9,12}$")
_URL = re.compile(r"^https://[^\s]+$")


class CatalogueInvalid(ValueError):
    """The catalogue was not loaded or imported. `errors` lists every problem, one per line."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Service:
    id: str
    title: str
    answer: str
    phone_answer: str
    url: str
    team: str
    phone: str = DEFAULT_PHONE
    hours: str = DEFAULT_HOURS
    place: str | None = None
    intent: str | None = None
    lgsl: int | None = None
    synonyms: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["synonyms"], data["examples"] = list(self.synonyms), list(self.examples)
        return data

    @property
    def display_url(self) -> str:
        """The link as residents read it: www.herefordshire.gov.uk/..., no scheme."""
        return self.url.removeprefix("https://")

    def route(self) -> str:
        """The non-digital route, so nobody is sent only to a website."""
        where = f" or visit {self.place}" if self.place else ""
        return f"Or call {self.phone} ({self.hours}){where}."


@dataclass
class Catalogue:
    services: list[Service]
    sample: bool = False
    by_id: dict[str, Service] = field(init=False)

    def __post_init__(self) -> None:
        self.by_id = {s.id: s for s in self.services}

    def __len__(self) -> int:
        return len(self.services)

    def get(self, service_id: str | None) -> Service | None:
        return self.by_id.get(service_id or "")


# --- validation -------------------------------------------------------------------------------


def _text_list(value: Any) -> list[str] | None:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split("|") if v.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    return None


def _str(raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    return value.strip() if isinstance(value, str) else ("" if value is None else str(value))


def validate_entry(raw: Any, defaults: dict[str, Any] | None = None,
                   ) -> tuple[Service | None, list[str]]:
    """One entry: the Service, or every problem with it in plain words."""
    if not isinstance(raw, dict):
        return None, ["is not a set of fields"]
    defaults = defaults or {}
    errors: list[str] = []
    unknown = sorted(set(raw) - set(CSV_COLUMNS))
    if unknown:
        errors.append(f"unknown field(s): {', '.join(unknown)}")
    sid = _str(raw, "id")
    if not _ID.match(sid):
        errors.append("id must be 2-64 lower-case letters, numbers or dashes")
    title = _str(raw, "title")
    if not title or len(title) > 120:
        errors.append("title is missing or longer than 120 characters")
    answer, phone_answer = _str(raw, "answer"), _str(raw, "phone_answer")
    if not answer:
        errors.append("answer is missing")
    else:
        if word_count(answer) > MAX_ANSWER_WORDS:
            errors.append(f"answer has {word_count(answer)} words (at most {MAX_ANSWER_WORDS})")
        if flesch(answer) < MIN_READING_EASE:
            errors.append(f"answer is hard to read (reading ease {int(flesch(answer))}, "
                          f"needs {MIN_READING_EASE}): use shorter words and sentences")
    if not phone_answer:
        errors.append("phone_answer is missing")
    else:
        if word_count(phone_answer) > MAX_PHONE_WORDS:
            errors.append(f"phone_answer has {word_count(phone_answer)} words "
                          f"(at most {MAX_PHONE_WORDS})")
        if URL.search(phone_answer):
            errors.append("phone_answer must not read out a web address")
        if flesch(phone_answer) < MIN_READING_EASE:
            errors.append("phone_answer is hard to read "
                          f"(reading ease {int(flesch(phone_answer))})")
    url = _str(raw, "url")
    if not _URL.match(url):
        errors.append("url must be a full https:// address of the council's page")
    phone = _str(raw, "phone") or str(defaults.get("phone") or DEFAULT_PHONE)
    if not _PHONE.match(phone):
        errors.append(f"phone {phone!r} is not a UK phone number like 01432 260000")
    hours = _str(raw, "hours") or str(defaults.get("hours") or DEFAULT_HOURS)
    team = _str(raw, "team")
    if not _TEAM.match(team):
        errors.append("team must be a short code like waste or adult_social_care")
    intent = _str(raw, "intent") or None
    if intent and intent not in HANDLED_INTENTS:
        errors.append(f"intent {intent!r} is not one the assistant handles")
    lgsl_raw = raw.get("lgsl")
    lgsl = None
    if lgsl_raw not in (None, ""):
        try:
            lgsl = int(lgsl_raw)
            if lgsl <= 0:
                raise ValueError
        except (TypeError, ValueError):
            errors.append("lgsl must be a whole number (the LGSL id) or empty")
    synonyms, examples = _text_list(raw.get("synonyms")), _text_list(raw.get("examples"))
    if synonyms is None:
        errors.append("synonyms must be a list of words or phrases")
    if not examples:
        errors.append("examples must list at least one question residents ask")
    if errors:
        return None, errors
    return Service(
        id=sid, title=title, answer=answer, phone_answer=phone_answer, url=url, team=team,
        phone=phone, hours=hours, place=_str(raw, "place") or None, intent=intent, lgsl=lgsl,
        synonyms=tuple(synonyms or ()), examples=tuple(examples or ()),
    ), []


def validate(entries: Any, defaults: dict[str, Any] | None = None, *,
             first_row: int = 1, label: str = "service") -> list[Service]:
    """Every entry, or CatalogueInvalid listing every problem in every entry."""
    if not isinstance(entries, list) or not entries:
        raise CatalogueInvalid(["the file has no services"])
    if len(entries) > MAX_SERVICES:
        raise CatalogueInvalid([f"the file has more than {MAX_SERVICES} services"])
    services: list[Service] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for n, raw in enumerate(entries, start=first_row):
        service, problems = validate_entry(raw, defaults)
        name = raw.get("id") if isinstance(raw, dict) else None
        where = f"{label} {n}" + (f" ({name})" if name else "")
        errors += [f"{where}: {p}" for p in problems]
        if service is not None:
            if service.id in seen:
                errors.append(f"{where}: id {service.id!r} is used again "
                              f"(first at {seen[service.id]})")
            seen.setdefault(service.id, n)
            services.append(service)
    if errors:
        raise CatalogueInvalid(errors)
    return services


# --- reading files -----------------------------------------------------------------------------


def parse_yaml(text: str) -> Catalogue:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogueInvalid([f"the file is not valid YAML: {exc}"]) from None
    if not isinstance(doc, dict) or "services" not in doc:
        raise CatalogueInvalid(["the file must have a 'services:' list"])
    defaults = doc.get("defaults") if isinstance(doc.get("defaults"), dict) else {}
    return Catalogue(validate(doc["services"], defaults), sample=bool(doc.get("sample")))


def parse_csv(text: str) -> Catalogue:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in ("id", "title", "answer", "phone_answer", "url", "team", "examples")
               if c not in header]
    extra = [h for h in header if h not in CSV_COLUMNS]
    if missing or extra:
        problems = []
        if missing:
            problems.append(f"row 1: missing column(s): {', '.join(missing)}")
        if extra:
            problems.append(f"row 1: unknown column(s): {', '.join(extra)}")
        raise CatalogueInvalid(problems)
    rows = [{h: (v or "").strip() for h, v in zip(header, row.values(), strict=False)
             if (v or "").strip()} for row in reader]
    # Row numbers are lines in the file: the header is row 1.
    return Catalogue(validate(rows, first_row=2, label="row"))


def read_file(path: str | Path) -> Catalogue:
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".csv":
        return parse_csv(text)
    if path.suffix.lower() in (".yml", ".yaml"):
        return parse_yaml(text)
    raise CatalogueInvalid([f"{path.name}: use a .csv, .yml or .yaml file"])


def load_sample() -> Catalogue:
    return read_file(SAMPLE_FILE)


# --- the database -------------------------------------------------------------------------------


def store(db: Database, catalogue: Catalogue) -> int:
    """Replace the whole catalogue in one transaction: all of it, or nothing."""
    now = utcnow()
    with db.session() as s:
        s.execute(delete(CatalogueService))
        for position, service in enumerate(catalogue.services):
            s.add(CatalogueService(id=service.id, position=position, title=service.title,
                                   team=service.team, data=service.as_dict(),
                                   sample=catalogue.sample, imported_at=now))
    _cache.clear()
    return len(catalogue)


def import_file(db: Database, path: str | Path) -> int:
    """Validate FILE, then replace the catalogue with it. Nothing changes if any entry is wrong."""
    return store(db, read_file(path))


_cache: dict[Any, Catalogue] = {}


def current(db: Database | None) -> Catalogue:
    """The catalogue in use: the database's, else the shipped sample. Cached until it changes
    (one small query per call tells whether an import happened since)."""
    if db is None:
        return _cached_sample()
    with db.session() as s:
        count, latest = s.execute(select(func.count(), func.max(CatalogueService.imported_at))
                                  .select_from(CatalogueService)).one()
        if not count:
            return _cached_sample()
        key = (db.engine.url.render_as_string(hide_password=True), count, latest)
        cached = _cache.get(key)
        if cached is not None:
            return cached
        rows = s.scalars(select(CatalogueService).order_by(CatalogueService.position)).all()
        services, sample = [], all(r.sample for r in rows)
        for row in rows:
            data = dict(row.data)
            data["synonyms"] = tuple(data.get("synonyms") or ())
            data["examples"] = tuple(data.get("examples") or ())
            services.append(Service(**data))
    catalogue = Catalogue(services, sample=sample)
    _cache.clear()
    _cache[key] = catalogue
    return catalogue


def _cached_sample() -> Catalogue:
    cached = _cache.get("sample")
    if cached is None:
        cached = _cache["sample"] = load_sample()
    return cached
