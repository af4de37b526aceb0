"""Case status: history, the resident's update queued in the same transaction, the CSV import
for councils without Open311, and proof before a status is told."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from core.delivery_settings import DeliverySettings
from services import outbox
from services.case_status_import import import_case_status, parse_when
from services.cases import CaseError, check_case, create_case, find_case, set_status
from services.cli import data
from services.csv_import import ImportFailed
from storage.models import Case, CaseStatusChange, OutboxMessage

NO_BACKOFFICE = DeliverySettings()


def new_case(db, preference="email", **kwargs):
    values = dict(kind="pothole", location="Kings Acre Road, Hereford HR4 0SE",
                  postcode="HR4 0SE", details="Deep hole", contact_preference=preference,
                  contact_email="sam@example.org", contact_phone="07700 900123",
                  delivery=NO_BACKOFFICE)
    values.update(kwargs)
    return create_case(db, **values)


def history(db, reference):
    with db.session() as s:
        case = s.scalars(select(Case).where(Case.reference == reference)).one()
        return [(h.status, h.note, h.source) for h in case.history]


def test_a_new_case_has_received_in_its_history_and_one_update_queued(db):
    case = new_case(db)
    assert history(db, case.reference) == [("Received", None, "bot")]
    [message] = outbox.messages(db)
    assert (message.kind, message.payload["status"], message.state) == ("email", "Received",
                                                                         "pending")


def test_open311_post_is_queued_only_when_a_back_office_takes_this_kind(db):
    settings = DeliverySettings(open311_base_url="http://127.0.0.1:9", open311_api_key="k",
                                open311_service_codes={"pothole": "POT"})
    new_case(db, preference="no updates", delivery=settings)
    new_case(db, preference="no updates", kind="missed_bin", delivery=settings)
    assert [m.kind for m in outbox.messages(db)] == ["open311_post"]


def test_a_status_change_and_its_update_commit_together(db):
    case = new_case(db, preference="text message")
    set_status(db, case.reference, "Fixed", "Filled on Tuesday.", source="console")
    info = find_case(db, case.reference)
    assert (info.status, info.status_note) == ("Fixed", "Filled on Tuesday.")
    updates = [m.payload["status"] for m in outbox.messages(db)]
    assert sorted(updates) == ["Fixed", "Received"]
    # The same status and note again is not a change: nothing more is sent.
    assert set_status(db, case.reference, "Fixed", "Filled on Tuesday.", source="console") is None
    assert len(outbox.messages(db)) == 2


def test_a_failed_status_change_leaves_no_update_behind(db, monkeypatch):
    case = new_case(db)
    import services.cases as cases

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(cases.outbox, "enqueue", broken)
    with pytest.raises(RuntimeError):
        set_status(db, case.reference, "Fixed", None, source="console")
    assert find_case(db, case.reference).status == "Received"
    assert history(db, case.reference) == [("Received", None, "bot")]


def test_no_updates_queues_nothing(db):
    case = new_case(db, preference="no updates")
    set_status(db, case.reference, "Closed", "Not on a council road.", source="console")
    assert outbox.messages(db) == []


def test_unknown_reference_is_a_clear_error(db):
    with pytest.raises(CaseError, match="no case has the reference"):
        set_status(db, "HC-999999", "Fixed", None, source="console")


# --- proof before status (issue 14 item 10) --------------------------------------------------


@pytest.mark.parametrize(("proof", "told"), [
    ("HR4 0SE", True), ("hr40se", True), ("it's sam@EXAMPLE.org", True),
    ("07700900123", True), ("+44 7700 900123", True),
    (None, False), ("", False), ("HR1 1HR", False), ("900123", False), ("example.org", False),
])
def test_status_needs_the_postcode_or_contact_detail(db, proof, told):
    case = new_case(db)
    exists, info = check_case(db, case.reference, proof)
    assert exists is True
    assert (info is not None) is told


def test_an_unknown_reference_does_not_exist(db):
    assert check_case(db, "HC-999999", "HR4 0SE") == (False, None)


# --- CSV import --------------------------------------------------------------------------------


def write(tmp_path, rows: str):
    path = tmp_path / "status.csv"
    path.write_text("reference,status,notes,updated_at\n" + rows)
    return path


def test_import_changes_status_and_queues_updates(db, tmp_path):
    one, two = new_case(db), new_case(db, preference="no updates")
    result = import_case_status(db, write(tmp_path, (
        f"{one.reference},scheduled,Booked for Friday.,2099-01-02 09:00\n"
        f"{two.reference},Closed,Not on a council road.,2099-01-02T10:00:00Z\n"
    )))
    assert (result.changed, result.unchanged, result.older) == (2, 0, 0)
    assert find_case(db, one.reference).status == "Scheduled"
    assert history(db, two.reference)[-1] == ("Closed", "Not on a council road.", "import")
    assert sorted(m.payload["status"] for m in outbox.messages(db)) == ["Received", "Scheduled"]
    # Importing the same file again changes nothing and sends nothing.
    again = import_case_status(db, write(tmp_path, (
        f"{one.reference},scheduled,Booked for Friday.,2099-01-02 09:00\n")))
    assert (again.changed, again.unchanged) == (0, 1)
    assert len(outbox.messages(db)) == 2


def test_an_older_row_does_not_undo_a_newer_change(db, tmp_path):
    case = new_case(db)
    import_case_status(db, write(tmp_path, f"{case.reference},Fixed,,2099-01-03 09:00\n"))
    result = import_case_status(db, write(tmp_path, f"{case.reference},Scheduled,,2099-01-02\n"))
    assert result.older == 1 and find_case(db, case.reference).status == "Fixed"


def test_a_bad_file_imports_nothing_and_names_every_bad_row(db, tmp_path):
    case = new_case(db)
    with pytest.raises(ImportFailed) as failed:
        import_case_status(db, write(tmp_path, (
            f"{case.reference},Fixed,,2099-01-02\n"
            "HC-12,Fixed,,2099-01-02\n"
            f"{case.reference},Mended,,2099-01-02\n"
            f"{case.reference},Closed,,2099-01-02\n"
            f"{case.reference},Fixed,,yesterday\n"
            "HC-999999,Fixed,,2099-01-02\n"
        )))
    errors = failed.value.errors
    assert errors[0].startswith("row 3: reference 'HC-12' is not like HC-123456")
    assert errors[1].startswith("row 4: status 'Mended' is not one of Received, Scheduled")
    assert errors[2] == "row 5: a closed case needs notes saying why"
    assert errors[3].startswith("row 6: updated_at 'yesterday' is not a date")
    assert errors[4] == "row 7: no case has the reference HC-999999"
    assert find_case(db, case.reference).status == "Received"  # not even row 2 went in
    with db.session() as s:
        assert len(s.scalars(select(CaseStatusChange)).all()) == 1
        assert len(s.scalars(select(OutboxMessage)).all()) == 1


def test_times_without_a_zone_are_uk_time():
    assert parse_when("2026-07-01 10:00").hour == 9  # BST
    assert parse_when("2026-12-01 10:00").hour == 10
    assert parse_when("2026-12-01T10:00:00+01:00").hour == 9


def test_cli_import_case_status(db, database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    case = new_case(db)
    runner = CliRunner()
    ok = runner.invoke(data, ["import-case-status",
                              str(write(tmp_path, f"{case.reference},Fixed,,2099-01-02\n"))])
    assert ok.exit_code == 0, ok.output
    assert "1 rows: 1 changed" in ok.output
    bad = runner.invoke(data, ["import-case-status",
                               str(write(tmp_path, "HC-999999,Fixed,,2099-01-02\n"))])
    assert bad.exit_code == 1
    assert "nothing was imported" in bad.output
    assert "row 2: no case has the reference HC-999999" in bad.output


def test_invalid_delivery_settings_still_queue_the_report_for_the_back_office(db, monkeypatch):
    monkeypatch.setenv("OPEN311_BASE_URL", "https://backoffice.example.gov.uk/open311")
    monkeypatch.delenv("OPEN311_API_KEY", raising=False)  # the worker will refuse and say why
    create_case(db, kind="pothole", location="Kings Acre Road, Hereford",
                contact_preference="no updates")
    assert [m.kind for m in outbox.messages(db)] == ["open311_post"]
