"""`contact-assistant privacy ...`: retention and data-subject requests (see privacy.data_rights).

    contact-assistant privacy purge [--days 90] [--data-use-days 30]
    contact-assistant privacy subject-access --phone "07700 900123" [--output file.json]
    contact-assistant privacy erase --email jo@example.com [--yes]
    contact-assistant privacy export-training [--format yaml|text] [--output nlu.yml]

The Rasa tracker store is found from TRACKER_DATABASE_URL (any SQLAlchemy URL) or
RASA_TRACKER_DB (the embedded SQLite file), or given with --tracker-url.
"""

from __future__ import annotations

import json
from datetime import datetime

import click
from flask import Flask

from core.cli import app_for_command
from privacy import data_rights as service


def _app() -> Flask:
    return app_for_command()


def _tracker(url: str | None) -> str | None:
    return url or service.tracker_url_from_env()


def _subject(app: Flask, phone: str | None, email: str | None,
             web_session: str | None) -> service.SubjectRef:
    try:
        return service.SubjectRef.from_request(
            app.extensions["settings"].optout_hmac_key,
            phone=phone, email=email, web_session=web_session,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc


tracker_option = click.option(
    "--tracker-url", default=None,
    help="SQLAlchemy URL of Rasa's tracker store "
    "(default: TRACKER_DATABASE_URL or RASA_TRACKER_DB).",
)


def subject_options(f):
    f = click.option("--web-session", default=None, help="The web chat session key.")(f)
    f = click.option("--email", default=None, help="The resident's email address.")(f)
    f = click.option("--phone", default=None, help="The resident's phone number.")(f)
    return f


@click.group(name="privacy", help="Retention, subject access, erasure and the training export.")
def privacy() -> None:
    pass


@privacy.command("purge", help="Delete transcripts past their retention period.")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Retention in days (default RETENTION_DAYS, 90).")
@click.option("--data-use-days", type=click.IntRange(min=1), default=None,
              help="Retention for data_use opt-outs (default DATA_USE_RETENTION_DAYS, 30).")
@tracker_option
def purge_command(days: int | None, data_use_days: int | None, tracker_url: str | None) -> None:
    app = _app()
    settings = app.extensions["settings"]
    days = days or settings.retention_days
    data_use_days = data_use_days or settings.data_use_retention_days
    result = service.purge(app.extensions["db"], days=days, data_use_days=data_use_days,
                           tracker=_tracker(tracker_url))
    click.echo(
        f"Deleted {result.conversations_deleted} conversations and {result.messages_deleted} "
        f"messages older than {days} days ({min(data_use_days, days)} days for data use "
        f"opt-outs); kept {result.kept_for_people} that people still need."
    )
    if result.tracker_available:
        click.echo(f"Deleted {result.tracker_events_deleted} events from the assistant's "
                   "tracker store.")
    else:
        click.echo("No tracker store found: nothing pruned there.")


@privacy.command("subject-access", help="Export everything held for one resident as JSON.")
@subject_options
@click.option("--output", "-o", type=click.File("w"), default="-",
              help="Write the JSON here (default: standard output).")
@tracker_option
def subject_access_command(phone, email, web_session, output, tracker_url) -> None:
    app = _app()
    ref = _subject(app, phone, email, web_session)
    export = service.subject_access(app.extensions["db"], ref, tracker=_tracker(tracker_url))
    json.dump(export, output, indent=2, ensure_ascii=False, default=str)
    output.write("\n")


@privacy.command("erase", help="Delete everything held for one resident (the opt-out "
                       "register is kept as the legal record of their choices).")
@subject_options
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@tracker_option
def erase_command(phone, email, web_session, yes, tracker_url) -> None:
    app = _app()
    ref = _subject(app, phone, email, web_session)
    if not yes:
        click.confirm(f"Erase everything held for this {ref.kind.replace('_', ' ')}?", abort=True)
    result = service.erase(app.extensions["db"], ref, tracker=_tracker(tracker_url))
    click.echo(
        f"Erased {result.conversations_deleted} conversations, {result.messages_deleted} "
        f"messages, {result.callbacks_deleted} callbacks, {result.cases_deleted} cases and "
        f"{result.tracker_events_deleted} tracker events. Kept {result.optout_events_kept} "
        "opt-out events (the legal record)."
    )


@privacy.command("export-training",
                       help="Resident messages as NLU training text, without data_use opt-outs.")
@click.option("--format", "fmt", type=click.Choice(["yaml", "text"]), default="yaml",
              show_default=True)
@click.option("--output", "-o", type=click.File("w"), default="-")
@click.option("--include-fallback", is_flag=True,
              help="Also export messages the assistant did not understand (nlu_fallback).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Only messages from this date (YYYY-MM-DD).")
def export_training_command(fmt: str, output, include_fallback: bool,
                            since: datetime | None) -> None:
    app = _app()
    export = service.export_training(app.extensions["db"], fmt=fmt,
                                     include_fallback=include_fallback, since=since)
    output.write(export.text)
    click.echo(f"Exported {export.examples} examples; left out {export.conversations_excluded} "
               "conversations with a data use opt-out.", err=True)
