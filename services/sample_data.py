"""SAMPLE council data so the assistant can be tried before a council imports its own.

Every row here is written with sample=True. Names of towns and libraries are real Herefordshire
places, but rounds, dates, opening hours, planning applications and cases are illustrative only:
a council replaces them with `contact-assistant data import-rounds` (and import-libraries,
import-planning).
`load_sample` is idempotent: it inserts or updates by natural key, and never touches rows a
council imported (sample=False).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from storage.db import Database
from storage.models import Case, CollectionRound, Library, PlanningApplication

# Monday 5 January 2026 starts "week A" for every sample round.
WEEK_A = date(2026, 1, 5)
WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4}

# (postcode prefix, round name, weekday). General waste and recycling are collected every two
# weeks on alternate weeks; garden waste (by subscription) every two weeks.
SAMPLE_ROUNDS = [
    ("HR1", "Hereford East", "wed"),
    ("HR1 1", "Hereford City Centre", "mon"),
    ("HR1 2", "Aylestone and Tupsley", "tue"),
    ("HR2", "Hereford South", "thu"),
    ("HR2 6", "Clehonger and Kingstone", "fri"),
    ("HR2 7", "Belmont", "tue"),
    ("HR2 6BA", "Kingstone Farms", "wed"),
    ("HR3", "Golden Valley and Wye", "mon"),
    ("HR4", "Hereford North and West", "tue"),
    ("HR4 0", "Whitecross", "mon"),
    ("HR4 9", "Holmer and Bobblestock", "thu"),
    ("HR5", "Kington", "wed"),
    ("HR6", "Leominster Rural", "thu"),
    ("HR6 8", "Leominster Town", "fri"),
    ("HR7", "Bromyard", "tue"),
    ("HR8", "Ledbury", "mon"),
    ("HR8 1", "Ledbury Town", "fri"),
    ("HR9", "Ross Rural", "wed"),
    ("HR9 5", "Ross Town", "thu"),
    ("HR9 7", "Ross South", "fri"),
]


def _rounds() -> list[dict]:
    rows = []
    for i, (prefix, name, day) in enumerate(SAMPLE_ROUNDS):
        first = WEEK_A + timedelta(days=WEEKDAYS[day])
        # Alternate which week is "rubbish week" so neighbouring rounds differ.
        general, recycling = (first, first + timedelta(days=7))
        if i % 2:
            general, recycling = recycling, general
        garden = first + timedelta(days=7 if i % 3 == 0 else 0)
        for bin_type, start in (
            ("general waste", general),
            ("recycling", recycling),
            ("garden waste", garden),
        ):
            rows.append(
                {
                    "postcode_prefix": prefix,
                    "round_name": name,
                    "bin_type": bin_type,
                    "weekday": WEEKDAYS[day],
                    "every_weeks": 2,
                    "first_date": datetime.combine(start, datetime.min.time()),
                }
            )
    return rows


def _week(
    weekdays: str | None,
    sat: str | None = None,
    sun: str | None = None,
    closed: tuple[str, ...] = (),
) -> dict[str, str | None]:
    hours = {d: weekdays for d in ("mon", "tue", "wed", "thu", "fri")}
    hours.update({"sat": sat, "sun": sun})
    for day in closed:
        hours[day] = None
    return hours


# Most libraries keep these hours; each entry says only where it differs.
USUAL_WEEKDAYS = "09:30-17:00"
USUAL_SATURDAY = "09:30-13:00"


def _library(name: str, address: str, weekdays: str = USUAL_WEEKDAYS, sat: str = USUAL_SATURDAY,
             closed: tuple[str, ...] = ()) -> dict:
    # Every library is reached on the council's main number.
    return {"name": name, "address": address, "phone": "01432 260000",
            "hours": _week(weekdays, sat=sat, closed=closed)}


SAMPLE_LIBRARIES = [
    _library("Hereford Library", "Broad Street, Hereford HR4 9AU", sat="09:30-16:00"),
    _library("Leominster Library", "8 Buttercross, Leominster HR6 8BN", closed=("wed",)),
    _library("Ledbury Library", "The Master's House, St Katherine's, Ledbury HR8 1EA",
             closed=("thu",)),
    _library("Ross-on-Wye Library", "Cantilupe Road, Ross-on-Wye HR9 7AN", closed=("wed",)),
    _library("Kington Library", "Market Hall Street, Kington HR5 3DP",
             "10:00-16:00", sat="10:00-12:30", closed=("mon", "wed", "fri")),
    _library("Bromyard Library", "Bromyard Centre, Cruxwell Street, Bromyard HR7 4EB",
             closed=("wed",)),
    _library("Colwall Library", "Colwall Village Hall, Walwyn Road, Colwall WR13 6QG",
             "14:00-17:00", sat="10:00-12:00", closed=("mon", "wed", "thu")),
    _library("Belmont Library", "Eastholme Avenue, Belmont, Hereford HR2 7XT",
             "10:00-17:00", sat="10:00-13:00", closed=("tue", "thu")),
]


def _d(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


# reference, address, description, status, decision due, decided, decision
SAMPLE_PLANNING = [
    (
        "P231456/F",
        "12 Aylestone Hill, Hereford HR1 1HR",
        "Single storey rear extension",
        "Awaiting decision",
        "2027-01-15",
        None,
        None,
    ),
    (
        "P238812/O",
        "Land east of Kingstone Road, Kingstone HR2 9HJ",
        "Outline application for up to 40 homes",
        "Under consultation",
        "2027-02-26",
        None,
        None,
    ),
    (
        "P229001/F",
        "The Old Forge, Bridge Street, Kington HR5 3DL",
        "Change of use from workshop to a home",
        "Decided",
        None,
        "2026-10-02",
        "Approved with conditions",
    ),
    (
        "P245678/F",
        "4 Church Lane, Colwall WR13 6EQ",
        "Two storey side extension",
        "Awaiting decision",
        "2026-12-18",
        None,
        None,
    ),
    (
        "P240917/F",
        "Unit 3, Rotherwas Industrial Estate, Hereford HR2 6JQ",
        "New warehouse building",
        "Under consultation",
        "2027-01-29",
        None,
        None,
    ),
    (
        "P237741/F",
        "17 High Street, Ledbury HR8 1DS",
        "New shop front and sign",
        "Decided",
        None,
        "2026-09-11",
        "Approved",
    ),
    (
        "P233314/F",
        "Orchard View, Bodenham HR1 3JS",
        "Agricultural building for storage",
        "Decided",
        None,
        "2026-08-21",
        "Refused",
    ),
    (
        "P231122/F",
        "22 Cantilupe Road, Ross-on-Wye HR9 7AN",
        "Loft conversion with dormer window",
        "Awaiting decision",
        "2026-12-11",
        None,
        None,
    ),
    (
        "P230019/O",
        "Land at Bromyard Road, Bromyard HR7 4QP",
        "Outline application for 12 homes",
        "Appeal lodged",
        None,
        "2026-07-30",
        "Refused",
    ),
    (
        "P228860/F",
        "Leominster Priory Hall, Church Street, Leominster HR6 8NH",
        "Solar panels on the south roof",
        "Decided",
        None,
        "2026-06-19",
        "Approved with conditions",
    ),
    (
        "P224871/F",
        "3 Belmont Road, Hereford HR2 7JF",
        "Garage conversion to a room",
        "Withdrawn",
        None,
        None,
        None,
    ),
    (
        "P222333/L",
        "The Market House, High Street, Ledbury HR8 1DH",
        "Repairs to timber frame (listed building)",
        "Decided",
        None,
        "2026-05-08",
        "Approved",
    ),
    (
        "P219902/L",
        "Tudor Cottage, Pembridge HR6 9HB",
        "Replace windows (listed building)",
        "Decided",
        None,
        "2026-04-24",
        "Refused",
    ),
    (
        "P211111/O",
        "Land north of Roman Road, Hereford HR4 7SL",
        "Outline application for a care home",
        "Awaiting decision",
        "2027-03-12",
        None,
        None,
    ),
    (
        "P250001/F",
        "9 Gloucester Road, Ross-on-Wye HR9 5BS",
        "Change of use from shop to cafe",
        "Awaiting validation",
        "2027-02-05",
        None,
        None,
    ),
]

# reference, kind, location, postcode, details, status, note
SAMPLE_CASES = [
    (
        "HC-100001",
        "pothole",
        "Aylestone Hill near the bus stop",
        "HR1 1HR",
        "Deep pothole in the left lane",
        "Inspected",
        "An inspector has checked it. A repair is booked.",
    ),
    (
        "HC-100002",
        "missed_bin",
        "14 Grenfell Road, Hereford",
        "HR1 2QR",
        "Recycling bin missed",
        "Collected",
        "The crew went back and emptied the bin.",
    ),
    (
        "HC-100003",
        "fly_tipping",
        "Layby on the A438 near Bartestree",
        None,
        "Six black bags and a mattress",
        "Cleared",
        "The waste has been cleared.",
    ),
    (
        "HC-100004",
        "streetlight",
        "Outside 7 Cantilupe Road, Ross-on-Wye",
        "HR9 7AN",
        "Light stays on all day",
        "Work booked",
        "An engineer will fix it within 10 working days.",
    ),
    (
        "HC-100005",
        "pothole",
        "Church Lane, Colwall",
        "WR13 6EQ",
        "Pothole by the drain",
        "Received",
        None,
    ),
    (
        "HC-100006",
        "missed_bin",
        "3 Belmont Road, Hereford",
        "HR2 7JF",
        "General waste bin missed",
        "Received",
        None,
    ),
    (
        "HC-100007",
        "fly_tipping",
        "Lane behind Bromyard Centre",
        "HR7 4EB",
        "Old sofa",
        "Under investigation",
        "An officer is looking for evidence of who left it.",
    ),
    (
        "HC-100008",
        "streetlight",
        "Bridge Street, Kington",
        "HR5 3DL",
        "Light flickers at night",
        "Fixed",
        "The lamp has been replaced.",
    ),
    (
        "HC-100009",
        "pothole",
        "Kingstone Road, Kingstone",
        "HR2 9HJ",
        "Two potholes on the bend",
        "Work booked",
        "A repair is booked in the next four weeks.",
    ),
    (
        "HC-100010",
        "missed_bin",
        "22 Bye Street, Ledbury",
        "HR8 2AA",
        "Garden waste missed",
        "Closed",
        "The bin had not been put out on time, so the crew could not empty it.",
    ),
]


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated"


def _upsert(session, model, key: dict, values: dict, result: LoadResult) -> None:
    row = session.scalars(select(model).filter_by(**key)).first()
    if row is None:
        session.add(model(**key, **values, sample=True))
        result.created += 1
        return
    if not row.sample:
        return  # the council's own data wins over samples
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    if changed:
        result.updated += 1


def load_sample(db: Database) -> LoadResult:
    """Insert or refresh all sample rows. Safe to run any number of times."""
    result = LoadResult()
    with db.session() as s:
        for r in _rounds():
            key = {"postcode_prefix": r.pop("postcode_prefix"), "bin_type": r.pop("bin_type")}
            _upsert(s, CollectionRound, key, r, result)
        for lib in SAMPLE_LIBRARIES:
            values = dict(lib)
            _upsert(s, Library, {"name": values.pop("name")}, values, result)
        for ref, address, description, status, due, decided, decision in SAMPLE_PLANNING:
            _upsert(
                s,
                PlanningApplication,
                {"reference": ref},
                {
                    "address": address,
                    "description": description,
                    "status": status,
                    "decision_due": _d(due),
                    "decided_at": _d(decided),
                    "decision": decision,
                },
                result,
            )
        for ref, kind, location, postcode, details, status, note in SAMPLE_CASES:
            _upsert(
                s,
                Case,
                {"reference": ref},
                {
                    "kind": kind,
                    "location": location,
                    "postcode": postcode,
                    "details": details,
                    "status": status,
                    "status_note": note,
                    "contact_preference": "no updates",
                },
                result,
            )
    return result
