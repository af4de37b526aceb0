"""`contact-assistant worker run|check` (and `python -m delivery`, the same as `worker run`)."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

import click

from core.delivery_settings import DeliverySettings, load_delivery_settings
from core.settings import ConfigError
from delivery.notify import NotifyClient
from delivery.open311 import Open311Client
from delivery.sms import TwilioSender
from delivery.worker import Worker
from services.db import get_database


def backoffice_clients(
    settings: DeliverySettings,
) -> tuple[Open311Client | None, NotifyClient | None]:
    """The Open311 and Notify clients for the services `settings` set up; None for the others."""
    open311 = notify = None
    if settings.open311_enabled:
        open311 = Open311Client(settings.open311_base_url, settings.open311_api_key,
                                jurisdiction_id=settings.open311_jurisdiction_id,
                                timeout=settings.open311_timeout)
    if settings.notify_api_key:
        notify = NotifyClient(settings.notify_api_key, settings.notify_base_url,
                              timeout=settings.open311_timeout)
    return open311, notify


def build_worker(settings: DeliverySettings | None = None) -> Worker:
    """A worker wired from the environment: the services that are set up, nothing else."""
    from core.local_secrets import load_local_secrets

    load_local_secrets()  # the embedded default keeps OPTOUT_HMAC_KEY in var/secrets.env
    settings = settings or load_delivery_settings()
    open311, notify = backoffice_clients(settings)
    twilio = None
    if settings.sms_updates_via == "twilio":
        from twilio.rest import Client

        twilio = TwilioSender(
            Client(os.environ.get("TWILIO_ACCOUNT_SID"), os.environ.get("TWILIO_AUTH_TOKEN")),
            os.environ.get("TWILIO_PHONE_NUMBER", ""),
        )
    return Worker(get_database(), settings, optout_key=os.environ.get("OPTOUT_HMAC_KEY", ""),
                  open311=open311, notify=notify, twilio=twilio)


def run_worker(*, burst: bool = False) -> int:
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        worker = build_worker()
        if worker.open311 is not None:
            worker.check_backoffice()  # an unknown code stops here, with the reason
    except ConfigError as exc:
        print(f"worker: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        worker.run(stop, burst=burst)
    except ConfigError as exc:  # the back office came up and does not offer a mapped code
        print(f"worker: {exc}", file=sys.stderr)
        return 2
    return 0


@click.group(help="The delivery worker: back-office posts and residents' updates.")
def worker() -> None:
    pass


@worker.command("run", help="Deliver the outbox and poll the back office until stopped.")
@click.option("--burst", is_flag=True, help="Stop once nothing is due.")
def run_cmd(burst: bool) -> None:
    raise SystemExit(run_worker(burst=burst))


@worker.command("check", help="Check the Open311 service codes against the back office.")
def check_cmd() -> None:
    try:
        built = build_worker()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if built.open311 is None:
        click.echo("No back office is set up (OPEN311_BASE_URL): reports stay here.")
        return
    try:
        ok = built.check_backoffice()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if not ok:
        raise click.ClickException("cannot reach the back office at OPEN311_BASE_URL")
    click.echo("The back office offers every configured service code.")
