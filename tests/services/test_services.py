"""Services behind the actions: dates, look-up fallbacks, case references, sample data, CSV
import (all or nothing) and the `data` CLI."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from services import cases
from services.bins import find_collections, next_collection
from services.cli import data
from services.csv_import import ImportFailed, import_libraries, import_planning, import_rounds
from services.dates import day_and_date, describe_week, when
from services.hours import describe_opening_hours, is_open_now
from services.postcodes import find_postcode, prefixes
from services.sample_data import load_sample
from storage.models import Case, CollectionRound, Library, PlanningApplication
from tests.conftest import TODAY


def test_dates_in_plain_words():
    assert day_and_date(date(2026, 12, 1)) == "Tuesday 1 December"
    assert when(TODAY, TODAY) == "today, Thursday 26 November"
    assert when(date(2026, 11, 27), TODAY) == "tomorrow, Friday 27 November"


@pytest.mark.parametrize(
    ("weekday", "every", "first", "expected"),
    [
        (3, 1, date(2026, 1, 15), date(2026, 11, 26)),  # weekly: today
        (3, 2, date(2026, 1, 8), date(2026, 11, 26)),  # 46 weeks on: today
        (3, 2, date(2026, 1, 15), date(2026, 12, 3)),  # 45 weeks on: not this week
        (1, 2, date(2026, 1, 6), date(2026, 12, 8)),  # Tuesday 24 November was the last one
        (0, 2, date(2027, 1, 4), date(2027, 1, 4)),  # first collection still to come
        (4, 2, date(2026, 1, 5), date(2026, 11, 27)),  # Monday anchor moved to Friday 9 January
    ],
)
def test_next_collection(weekday, every, first, expected):
    assert (
        next_collection(weekday, every, datetime.combine(first, datetime.min.time()), TODAY)
        == expected
    )


def test_postcodes():
    assert find_postcode("my postcode is hr27nE thanks") == "HR2 7NE"
    assert find_postcode("no postcode here 12345") is None
    assert prefixes("hr1 2ab") == ["HR1 2AB", "HR1 2", "HR1"]


def test_round_lookup_prefers_full_postcode_then_sector_then_district(sample_db):
    assert find_collections(sample_db, "HR2 6BA", TODAY).matched_prefix == "HR2 6BA"
    assert find_collections(sample_db, "HR2 6XY", TODAY).matched_prefix == "HR2 6"
    assert find_collections(sample_db, "HR2 9XY", TODAY).matched_prefix == "HR2"
    assert find_collections(sample_db, "GL1 1AA", TODAY) is None


def test_opening_hours():
    assert (
        describe_opening_hours("Mon-Fri 09:00-17:00")
        == "Monday to Friday, 9am to 5pm. Closed on Saturday and Sunday."
    )
    assert describe_opening_hours("nonsense") == describe_opening_hours("Mon-Fri 09:00-17:00")
    assert describe_week({}) == "Closed every day."
    thursday_noon = datetime(2026, 11, 26, 12, 0).astimezone()
    assert is_open_now("Mon-Sun 00:00-23:59", thursday_noon)


def test_case_references_are_unique_even_when_the_random_number_repeats(sample_db, monkeypatch):
    issued = iter(["HC-100001", "HC-100001", "HC-654321"])  # HC-100001 is a sample case
    monkeypatch.setattr(cases, "new_reference", lambda: next(issued))
    case = cases.create_case(sample_db, kind="fly_tipping", location="Layby on the A49")
    assert case.reference == "HC-654321"
    assert cases.find_case(sample_db, "hc654321").location == "Layby on the A49"


def test_case_needs_a_known_kind_and_a_location(sample_db):
    with pytest.raises(cases.CaseError):
        cases.create_case(sample_db, kind="graffiti", location="x")
    with pytest.raises(cases.CaseError):
        cases.create_case(sample_db, kind="pothole", location="  ")


def _count(db, model) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_sample_data_is_idempotent_and_marked_sample(sample_db):  # sample_db already loaded it once
    models = (CollectionRound, Library, PlanningApplication, Case)
    counts = {m: _count(sample_db, m) for m in models}
    result = load_sample(sample_db)
    assert (result.created, result.updated) == (0, 0)
    assert {m: _count(sample_db, m) for m in counts} == counts
    assert counts[Library] == 8 and counts[PlanningApplication] >= 15 and counts[Case] >= 10
    with sample_db.session() as s:
        assert {p[:3] for p in s.scalars(select(CollectionRound.postcode_prefix))} >= {
            f"HR{i}" for i in range(1, 10)
        }
        for model in counts:
            assert (
                s.scalar(select(func.count()).select_from(model).where(model.sample.is_(False)))
                == 0
            )


ROUNDS = """postcode_prefix,round_name,bin_type,weekday,every_weeks,first_date
HR1 2,Tupsley A,black bin,Wednesday,2,2026-01-07
hr4,North,recycling,thu,2,08/01/2026
"""


def test_import_rounds_updates_by_key_and_takes_over_sample_rows(sample_db, tmp_path):
    path = tmp_path / "rounds.csv"
    path.write_text("\ufeff" + ROUNDS)  # Excel's byte order mark
    before = _count(sample_db, CollectionRound)
    result = import_rounds(sample_db, path)
    assert (result.rows, result.created, result.updated) == (2, 0, 2)
    assert _count(sample_db, CollectionRound) == before
    with sample_db.session() as s:
        row = s.scalars(
            select(CollectionRound).where(
                CollectionRound.postcode_prefix == "HR1 2",
                CollectionRound.bin_type == "general waste",
            )
        ).one()
        assert (row.round_name, row.weekday, row.sample) == ("Tupsley A", 2, False)
    result = import_rounds(sample_db, path, replace=True)
    assert (result.updated, result.removed) == (0, before - 2)
    assert _count(sample_db, CollectionRound) == 2


def test_import_with_any_bad_row_writes_nothing_and_lists_every_problem(sample_db, tmp_path):
    path = tmp_path / "rounds.csv"
    path.write_text(
        ROUNDS
        + "\n".join(
            [
                "XX,Bad,general waste,Funday,2,2026-01-07",
                "HR5,Kington,compost,Monday,2,2026-01-05",
                "HR6,Leominster,recycling,Monday,0,2026-01-05",
                "HR7,Bromyard,recycling,Monday,2,2026-01-06",
                "HR1 2,Tupsley A,general waste,Wednesday,2,2026-01-07",
                "HR8,Ledbury,recycling,Monday,2,5th Jan",
            ]
        )
        + "\n"
    )
    before = _count(sample_db, CollectionRound)
    with pytest.raises(ImportFailed) as failed:
        import_rounds(sample_db, path)
    assert failed.value.errors == [
        "row 4: postcode_prefix 'XX' is not a postcode, sector (HR1 2) or district (HR1)",
        "row 5: bin_type 'compost' is not one of: general waste, recycling, garden waste",
        "row 6: every_weeks '0' is not a whole number from 1 to 8",
        "row 7: first_date 2026-01-06 is a Tuesday, not a Monday",
        "row 8: repeats row 2 (HR1 2 general waste)",
        "row 9: first_date '5th Jan' is not a date like 2026-12-01 or 01/12/2026",
    ]
    assert _count(sample_db, CollectionRound) == before
    with sample_db.session() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(CollectionRound)
                .where(CollectionRound.sample.is_(False))
            )
            == 0
        )


def test_import_refuses_a_wrong_header(sample_db, tmp_path):
    path = tmp_path / "libraries.csv"
    path.write_text("name,adress,phone,mon,tue,wed,thu,fri,sat,sun\n")
    with pytest.raises(ImportFailed) as failed:
        import_libraries(sample_db, path)
    assert failed.value.errors == [
        "row 1: missing column(s): address",
        "row 1: unknown column(s): adress",
    ]


def test_import_libraries_and_planning(sample_db, tmp_path):
    libs = tmp_path / "libraries.csv"
    libs.write_text(
        "name,address,phone,mon,tue,wed,thu,fri,sat,sun\n"
        "Hereford Library,Town Hall Hereford HR1 2PJ,01432 260000,"
        "09:00-17:00,09:00-17:00,closed,09:00-17:00,09:00-17:00,9:30-13:00,\n"
        "Weobley Library,Weobley HR4 8SD,,10:00-12:00,,,,,,\n"
    )
    assert str(import_libraries(sample_db, libs)) == "2 rows: 1 created, 1 updated"
    with sample_db.session() as s:
        row = s.scalars(select(Library).where(Library.name == "Hereford Library")).one()
        assert row.hours == {
            "mon": "09:00-17:00",
            "tue": "09:00-17:00",
            "wed": None,
            "thu": "09:00-17:00",
            "fri": "09:00-17:00",
            "sat": "09:30-13:00",
            "sun": None,
        }
    plans = tmp_path / "planning.csv"
    plans.write_text(
        "reference,address,description,status,decision_due,decided_at,decision\n"
        "p260001/f,1 High St,Extension,Awaiting decision,2027-01-01,,\n"
        "P260002/F,2 High St,Garage,Decided,,2026-11-01,Approved\n"
        "P260003/F,3 High St,Shed,Decided,,,Refused\n"
    )
    with pytest.raises(ImportFailed) as failed:
        import_planning(sample_db, plans)
    assert failed.value.errors == ["row 4: decision is given but decided_at is empty"]
    plans.write_text("\n".join(plans.read_text().splitlines()[:3]) + "\n")
    assert import_planning(sample_db, plans).created == 2


def test_cli_load_sample_and_import(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    runner = CliRunner()
    first = runner.invoke(data, ["load-sample"])
    assert first.exit_code == 0, first.output
    assert "created" in first.output
    again = runner.invoke(data, ["load-sample"])
    assert "sample data loaded: 0 created, 0 updated" in again.output
    bad = tmp_path / "rounds.csv"
    bad.write_text(
        "postcode_prefix,round_name,bin_type,weekday,every_weeks,first_date\n"
        "HR1,East,general waste,Someday,2,2026-01-07\n"
    )
    result = runner.invoke(data, ["import-rounds", str(bad)])
    assert result.exit_code == 1
    assert "nothing was imported" in result.output
    assert "row 2: weekday 'Someday' is not a day of the week" in result.output
    good = tmp_path / "good.csv"
    good.write_text(ROUNDS)
    result = runner.invoke(data, ["import-rounds", str(good)])
    assert result.exit_code == 0 and "rounds imported: 2 rows" in result.output


def test_cli_is_registered_in_the_admin_cli():
    from contact_assistant.cli import main

    assert set(main.commands["data"].commands) == {
        "load-sample",
        "import-rounds",
        "import-libraries",
        "import-planning",
        "import-case-status",
        "import-services",
    }
