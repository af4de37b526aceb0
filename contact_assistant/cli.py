"""`contact-assistant`: the admin CLI. Each concern adds its own command group below."""

from __future__ import annotations

import importlib
from functools import cache

import click
from flask import Flask

# Command groups, owned by the package of each concern (like the app's blueprints).
COMMAND_GROUPS = [
    "services.cli:data",
    "handoff.cli:advisor",
    "handoff.cli:queue",
    "handoff.privacy_cli:privacy",
    "channels.simulator:phone",
]


@cache
def get_app() -> Flask:
    """The app for CLI commands (settings from the environment or var/secrets.env)."""
    import os

    from contact_assistant.app import create_app
    from contact_assistant.secrets import ensure_local_secrets, load_local_secrets

    if not all(os.environ.get(k) for k in ("SECRET_KEY", "RASA_TOKEN", "OPTOUT_HMAC_KEY")):
        ensure_local_secrets()
        load_local_secrets()
    return create_app()


@click.group(help="Operate Council Contact Assistant: database, data, advisors, privacy.")
def main() -> None:
    pass


@main.group(help="Database schema.")
def db() -> None:
    pass


@db.command("upgrade", help="Create or migrate the database to the latest schema (Alembic).")
def db_upgrade() -> None:
    from storage.migrate import upgrade

    app = get_app()
    upgrade(app.extensions["settings"].database_url)
    click.echo("database is up to date")


for _path in COMMAND_GROUPS:
    _module, _, _attr = _path.partition(":")
    try:
        main.add_command(getattr(importlib.import_module(_module), _attr))
    except ModuleNotFoundError as _exc:
        if _exc.name != _module:
            raise


if __name__ == "__main__":
    main()
