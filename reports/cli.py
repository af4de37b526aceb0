"""`contact-assistant reports ...`: sample figures for a fresh clone.

    contact-assistant reports sample [--months 3]    add marked sample conversations
    contact-assistant reports sample --remove        delete them again
"""

from __future__ import annotations

import click

from core.cli import app_for_command
from reports import sample as samples


@click.group("reports")
def reports() -> None:
    """Reports and published figures."""


@reports.command("sample")
@click.option("--months", default=3, show_default=True, type=click.IntRange(1, 24),
              help="Full months of sample conversations, ending last month.")
@click.option("--remove", is_flag=True, help="Delete the sample conversations instead.")
def sample(months: int, remove: bool) -> None:
    """Sample conversations so the reports and /performance show figures on a fresh clone.
    Refused on a database that holds real conversations."""
    app = app_for_command()
    with app.extensions["db"].session() as s:
        if remove:
            click.echo(f"Removed {samples.remove(s)} sample conversations.")
            return
        try:
            click.echo(str(samples.add(s, months=months)))
        except samples.RealDataPresent as exc:
            raise click.ClickException(f"Not added: {exc}.") from exc
