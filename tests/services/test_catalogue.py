"""The service catalogue as data: the shipped sample, validation, and importing a council's own."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from services import catalogue
from services.catalogue import CatalogueInvalid, load_sample, parse_yaml, read_file
from services.db import dispose_all, get_database
from services.readability import flesch
from storage.models import CatalogueService

AREAS = {  # every area issue 12 lists, by the teams that own them
    "waste", "highways", "transport", "parking", "revenues", "benefits", "housing", "planning",
    "building_control", "environmental_health", "registrars", "elections", "democratic_services",
    "education", "children", "fostering", "adult_social_care", "libraries", "leisure",
    "licensing", "economic_development", "hr", "community", "digital",
}


@pytest.fixture
def cat_db(database_url, monkeypatch):
    from storage.migrate import upgrade

    monkeypatch.setenv("DATABASE_URL", database_url)
    upgrade(database_url)
    db = get_database(database_url)
    catalogue._cache.clear()
    yield db
    dispose_all()


def test_the_sample_has_every_area_and_at_least_150_services():
    sample = load_sample()
    assert sample.sample is True
    assert len(sample) >= 150
    assert {s.team for s in sample.services} >= AREAS


def test_every_sample_answer_is_plain_english_short_and_cited_with_a_phone_route():
    for service in load_sample().services:
        assert flesch(service.answer) >= 60, service.id
        assert flesch(service.phone_answer) >= 60, service.id
        assert len(service.answer.split()) <= 70, service.id
        assert len(service.phone_answer.split()) <= 40, service.id
        assert service.url.startswith("https://www.herefordshire.gov.uk/"), service.id
        assert service.phone and service.hours, service.id
        assert service.examples, service.id


def test_sample_uses_only_the_councils_published_phone_numbers():
    numbers = {s.phone for s in load_sample().services}
    assert numbers <= {"01432 260000", "01432 260800", "0800 234 6034"}
    text = catalogue.SAMPLE_FILE.read_text()
    import re

    for number in re.findall(r"\b0\d{3,4} ?\d{3} ?\d{3,4}\b", text):
        assert number in {"01432 260000", "01432 260800", "0800 234 6034"}, number


def test_the_web_answer_gives_the_link_and_a_phone_route():
    service = load_sample().get("bulky-waste")
    assert service.display_url == (
        "www.herefordshire.gov.uk/rubbish-recycling/bulky-waste-collection")
    assert service.route() == "Or call 01432 260000 (Monday to Friday, 9am to 5pm)."


def _entry(**changes):
    entry = {
        "id": "garden-bins", "title": "Garden bins", "team": "waste",
        "answer": "We empty brown bins every 2 weeks. You can sign up online.",
        "phone_answer": "We empty brown bins every 2 weeks.",
        "url": "https://www.example.gov.uk/garden", "examples": ["when is the brown bin emptied"],
    }
    entry.update(changes)
    return entry


def test_every_problem_in_every_entry_is_reported_in_plain_words():
    doc = {"services": [
        _entry(),
        _entry(id="Bad Id", url="http://insecure", team=""),
        _entry(id="hard", answer="Notwithstanding the aforementioned considerations, "
                                 "applications necessitate comprehensive documentation."),
        _entry(id="garden-bins"),
        _entry(id="nope", phone_answer="Read www.example.gov.uk/garden", examples=[]),
    ]}
    with pytest.raises(CatalogueInvalid) as err:
        parse_yaml(yaml.safe_dump(doc))
    errors = err.value.errors
    assert "service 2 (Bad Id): id must be 2-64 lower-case letters, numbers or dashes" in errors
    assert "service 2 (Bad Id): url must be a full https:// address of the council's page" in errors
    assert any(e.startswith("service 2 (Bad Id): team must be") for e in errors)
    assert any(e.startswith("service 3 (hard): answer is hard to read") for e in errors)
    assert "service 4 (garden-bins): id 'garden-bins' is used again (first at 1)" in errors
    assert "service 5 (nope): phone_answer must not read out a web address" in errors
    assert "service 5 (nope): examples must list at least one question residents ask" in errors


def _write_csv(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["id", "title", "answer", "phone_answer", "url",
                                               "team", "examples", "synonyms"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_csv_import_replaces_the_catalogue_the_assistant_uses(cat_db, tmp_path):
    assert catalogue.current(cat_db).sample is True  # nothing imported yet: the sample
    rows = [_entry(examples="when is the brown bin emptied|garden waste day",
                   synonyms="brown bin|green waste"),
            _entry(id="pest-control", title="Pest control", team="environmental_health",
                   answer="We can treat rats and mice in your home for a fee.",
                   phone_answer="We can treat rats and mice for a fee.",
                   url="https://www.example.gov.uk/pests", examples="rats in my garden")]
    assert catalogue.import_file(cat_db, _write_csv(tmp_path / "ours.csv", rows)) == 2
    current = catalogue.current(cat_db)
    assert [s.id for s in current.services] == ["garden-bins", "pest-control"]
    assert current.get("garden-bins").synonyms == ("brown bin", "green waste")
    assert current.get("garden-bins").phone == "01432 260000"  # the default route


def test_a_bad_row_imports_nothing_and_names_the_row(cat_db, tmp_path):
    good = tmp_path / "good.csv"
    catalogue.import_file(cat_db, _write_csv(good, [_entry()]))
    bad = _write_csv(tmp_path / "bad.csv", [_entry(id="a-one"), _entry(id="b-two", url="nope")])
    with pytest.raises(CatalogueInvalid) as err:
        catalogue.import_file(cat_db, bad)
    assert err.value.errors == [
        "row 3 (b-two): url must be a full https:// address of the council's page"]
    with cat_db.session() as s:
        assert [r.id for r in s.query(CatalogueService)] == ["garden-bins"]  # unchanged


def test_unknown_csv_columns_are_an_error(tmp_path):
    path = tmp_path / "typo.csv"
    path.write_text("id,title,answr,phone_answer,url,team,examples\n")
    with pytest.raises(CatalogueInvalid) as err:
        read_file(path)
    assert "row 1: missing column(s): answer" in err.value.errors
    assert "row 1: unknown column(s): answr" in err.value.errors


def test_the_cli_imports_yaml_and_reports_each_bad_row(cat_db, tmp_path):
    from services.cli import data

    good = tmp_path / "ours.yml"
    good.write_text(yaml.safe_dump({"services": [_entry()]}))
    result = CliRunner().invoke(data, ["import-services", str(good)])
    assert result.exit_code == 0, result.output
    assert "services imported: 1 services" in result.output
    bad = tmp_path / "bad.yml"
    bad.write_text(yaml.safe_dump({"services": [_entry(title="", team="Waste Team")]}))
    result = CliRunner().invoke(data, ["import-services", str(bad)])
    assert result.exit_code == 1
    assert "nothing was imported" in result.output  # click 8.2 mixes stderr into output
    assert "service 1 (garden-bins): title is missing" in result.output
    assert [s.id for s in catalogue.current(cat_db).services] == ["garden-bins"]


def test_the_shipped_sample_is_the_file_the_nlu_was_generated_from():
    from bot import catalogue_training

    assert catalogue_training.main(["--check"]) == 0
