"""`contact-assistant data ...`: load sample data and import the council's own CSV files."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from services.case_status_import import import_case_status
from services.csv_import import ImportFailed, import_libraries, import_planning, import_rounds
from services.db import database_url, get_database
from services.sample_data import load_sample


def _db():
    from storage.migrate import upgrade

    url = database_url()
    upgrade(url)  # idempotent: the tables must exist before any data goes in
    return get_database(url)


@click.group(help="Council data behind the assistant: samples and CSV imports.")
def data() -> None:
    pass


@data.command("load-sample", help="Load SAMPLE rounds, libraries, planning and cases (idempotent).")
def load_sample_cmd() -> None:
    result = load_sample(_db())
    click.echo(f"sample data loaded: {result}")


def _run_import(kind: str, file: str, run: Callable[[], Any],
                failed: type[Exception] = ImportFailed,
                done: str = "{kind} imported: {result}") -> None:
    """Run one import; every problem (the exception's `errors`) goes to stderr, exit 1."""
    try:
        result = run()
    except failed as exc:
        click.echo(f"{kind}: nothing was imported. Fix these problems and try again:", err=True)
        for error in exc.errors:  # type: ignore[attr-defined]
            click.echo(f"  {error}", err=True)
        raise SystemExit(1) from None
    except (OSError, UnicodeDecodeError) as exc:
        click.echo(f"{kind}: cannot read {file}: {exc}", err=True)
        raise SystemExit(1) from None
    click.echo(done.format(kind=kind, result=result))


_replace = click.option(
    "--replace", is_flag=True, help="Keep only the rows in FILE (removes sample and older rows)."
)
_file = click.argument("file", type=click.Path(exists=True, dir_okay=False))

# The council's own CSV files: command, what it imports (in messages), importer, help.
CSV_IMPORTS = (
    ("import-rounds", "rounds", import_rounds,
     "Import collection rounds from CSV: postcode_prefix, round_name, "
     "bin_type, weekday, every_weeks, first_date."),
    ("import-libraries", "libraries", import_libraries,
     "Import libraries from CSV: name, address, phone, mon..sun (09:30-17:00 or closed)."),
    ("import-planning", "planning applications", import_planning,
     "Import planning applications from CSV: reference, address, "
     "description, status, decision_due, decided_at, decision."),
)


def _csv_import_command(name: str, kind: str, importer: Callable[..., Any], help_text: str):
    @data.command(name, help=help_text)
    @_file
    @_replace
    def command(file: str, replace: bool) -> None:
        _run_import(kind, file, lambda: importer(_db(), file, replace=replace))

    return command


for _name, _kind, _importer, _help in CSV_IMPORTS:
    _csv_import_command(_name, _kind, _importer, _help)


@data.command(
    "import-case-status",
    help="Import case status changes from the back office, CSV: reference, status "
    "(Received, Scheduled, Fixed or Closed), notes, updated_at. Residents who asked for updates "
    "get one per change. Nothing is imported if any row is wrong.",
)
@_file
def import_case_status_cmd(file: str) -> None:
    _run_import("case status", file, lambda: import_case_status(_db(), file))


@data.command(
    "import-services",
    help="Replace the service catalogue with FILE (YAML like catalogue/herefordshire.yml, or CSV: "
    "id, title, synonyms, answer, phone_answer, url, phone, hours, place, team, intent, examples, "
    "lgsl; lists separated by '|'). Every entry is checked first: nothing changes if any is wrong.",
)
@_file
def import_services_cmd(file: str) -> None:
    from services.catalogue import CatalogueInvalid, import_file

    _run_import("services", file, lambda: import_file(_db(), file), failed=CatalogueInvalid,
                done="{kind} imported: {result} services. The assistant uses them from now on.")
