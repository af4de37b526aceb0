"""How a command group owned by a feature package finds the app it acts on.

The composition root (`contact_assistant.cli`) puts its app factory in the click context's `meta`;
packages below it never import the root. Tests pass their own app as the context object."""

from __future__ import annotations

from collections.abc import Callable

import click
from flask import Flask

APP_FACTORY = "contact_assistant.app_factory"


def provide_app_factory(ctx: click.Context, factory: Callable[[], Flask]) -> None:
    ctx.meta[APP_FACTORY] = factory


def app_for_command() -> Flask:
    """The Flask app for the running command: the context object if it is one, else the root's."""
    ctx = click.get_current_context()
    obj = ctx.find_object(Flask)
    if obj is not None:
        return obj
    factory = ctx.meta.get(APP_FACTORY)
    if factory is None:
        raise click.ClickException("run this command through `contact-assistant`")
    return factory()
