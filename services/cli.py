"""`contact-assistant data ...`: load sample data and import the council's own CSV files."""

from __future__ import annotations

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


def _run_import(kind: str, func, file: str, replace: bool) -> None:
    try:
        result = func(_db(), file, replace=replace)
    except ImportFailed as exc:
        click.echo(f"{kind}: nothing was imported. Fix these problems and try again:", err=True)
        for error in exc.errors:
            click.echo(f"  {error}", err=True)
        raise SystemExit(1) from None
    except (OSError, UnicodeDecodeError) as exc:
        click.echo(f"{kind}: cannot read {file}: {exc}", err=True)
        raise SystemExit(1) from None
    click.echo(f"{kind} imported: {result}")


_replace = click.option(
    "--replace", is_flag=True, help="Keep only the rows in FILE (removes sample and older rows)."
)
_file = click.argument("file", type=click.Path(exists=True, dir_okay=False))


@data.command(
    "import-rounds",
    help="Import collection rounds from CSV: postcode_prefix, round_name, "
    "bin_type, weekday, every_weeks, first_date.",
)
@_file
@_replace
def import_rounds_cmd(file: str, replace: bool) -> None:
    _run_import("rounds", import_rounds, file, replace)


@data.command(
    "import-libraries",
    help="Import libraries from CSV: name, address, phone, mon..sun (09:30-17:00 or closed).",
)
@_file
@_replace
def import_libraries_cmd(file: str, replace: bool) -> None:
    _run_import("libraries", import_libraries, file, replace)


@data.command(
    "import-planning",
    help="Import planning applications from CSV: reference, address, "
    "description, status, decision_due, decided_at, decision.",
)
@_file
@_replace
def import_planning_cmd(file: str, replace: bool) -> None:
    _run_import("planning applications", import_planning, file, replace)


@data.command(
    "import-case-status",
    help="Import case status changes from the back office, CSV: reference, status "
    "(Received, Scheduled, Fixed or Closed), notes, updated_at. Residents who asked for updates "
    "get one per change. Nothing is imported if any row is wrong.",
)
@_file
def import_case_status_cmd(file: str) -> None:
    _run_import("case status", lambda db, f, replace: import_case_status(db, f), file, False)


@data.command(
    "import-services",
    help="Replace the service catalogue with FILE (YAML like catalogue/herefordshire.yml, or CSV: "
    "id, title, synonyms, answer, phone_answer, url, phone, hours, place, team, intent, examples, "
    "lgsl; lists separated by '|'). Every entry is checked first: nothing changes if any is wrong.",
)
@_file
def import_services_cmd(file: str) -> None:
    from services.catalogue import CatalogueInvalid, import_file

    try:
        count = import_file(_db(), file)
    except CatalogueInvalid as exc:
        click.echo("services: nothing was imported. Fix these problems and try again:", err=True)
        for error in exc.errors:
            click.echo(f"  {error}", err=True)
        raise SystemExit(1) from None
    except (OSError, UnicodeDecodeError) as exc:
        click.echo(f"services: cannot read {file}: {exc}", err=True)
        raise SystemExit(1) from None
    click.echo(f"services imported: {count} services. The assistant uses them from now on.")
