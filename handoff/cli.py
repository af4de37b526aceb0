"""`contact-assistant advisor ...` and `contact-assistant queue ...`: manage advisor accounts and
look at the queue from the command line (registered in contact_assistant.cli.COMMAND_GROUPS)."""

from __future__ import annotations

import sys
from collections.abc import Callable

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.cli import app_for_command
from handoff import queue as ops
from handoff.console import auth, sessions, throttle, twofactor
from storage.models import ROLES, Advisor, Conversation, utcnow

STDIN_HELP = "Read the password from the first line of stdin."


def _app():
    return app_for_command()


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt="Repeat password")
    problem = auth.password_problem(password)
    if problem:
        raise click.ClickException(problem)
    return password


def _find(s, email: str) -> Advisor:
    found = auth.find_by_email(s, email)
    if found is None:
        raise click.ClickException(f"no advisor with email {email}")
    return found


def _reset(email: str, action: str, change: Callable[[Session, Advisor], None],
           done: str) -> None:
    """Change an advisor's sign-in, then sign them out everywhere: every session (and copied
    cookie) ends and the back-off starts afresh. `done` ends "... for EMAIL; ..."."""
    with _app().extensions["db"].session() as s:
        found = _find(s, email)
        change(s, found)
        sessions.revoke(s, found.id)
        throttle.clear(s, found.email)
        ops.audit(s, None, action, f"advisor:{found.id}", via="cli")
    click.echo(done.format(email=auth.normalise_email(email)))


@click.group(help="Advisor accounts for the console.")
def advisor() -> None:
    pass


@advisor.command("create", help="Add an advisor. Prompts for the password twice.")
@click.option("--name", required=True, help="Full name, shown to colleagues.")
@click.option("--email", required=True, help="Sign-in email address.")
@click.option("--role", type=click.Choice(ROLES), default="advisor", show_default=True)
@click.option("--password-stdin", is_flag=True, help=STDIN_HELP)
def create(name: str, email: str, role: str, password_stdin: bool) -> None:
    password = _read_password(password_stdin)
    db = _app().extensions["db"]
    try:
        with db.session() as s:
            created = auth.create_advisor(s, name=name, email=email, role=role, password=password)
            ops.audit(s, None, "advisor_create", f"advisor:{created.id}", role=role, via="cli")
            advisor_id = created.id
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created {role} {auth.normalise_email(email)} (id {advisor_id}); they set up "
               "two-factor sign-in the first time they sign in")


@advisor.command("reset-password", help="Set a new password for an advisor.")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help=STDIN_HELP)
def reset_password(email: str, password_stdin: bool) -> None:
    with _app().extensions["db"].session() as s:
        _find(s, email)  # before the prompt: no password typed for an unknown advisor
    password = _read_password(password_stdin)

    def set_password(_s: Session, found: Advisor) -> None:
        found.password_hash = auth.hash_password(password)

    _reset(email, "password_reset", set_password,
           "password changed for {email}; they are signed out everywhere")


@advisor.command("reset-2fa", help="Forget an advisor's two-factor sign-in (a lost phone). They "
                                   "set it up again at their next sign-in.")
@click.argument("email")
def reset_2fa(email: str) -> None:
    _reset(email, "2fa_reset", twofactor.reset,
           "two-factor sign-in reset for {email}; they set it up again when they next sign in")


@advisor.command("deactivate", help="Stop an advisor signing in; their conversations go back "
                                    "to the queue.")
@click.argument("email")
def deactivate(email: str) -> None:
    db = _app().extensions["db"]
    with db.session() as s:
        advisor_id = _find(s, email).id
    released = ops.deactivate_advisor(db, advisor_id, None)
    click.echo(f"deactivated {auth.normalise_email(email)}"
               + (f"; {released} conversation(s) returned to the queue" if released else ""))


@advisor.command("list", help="Every advisor, their role and when they were last seen.")
def list_advisors() -> None:
    db = _app().extensions["db"]
    with db.session() as s:
        rows = list(s.scalars(select(Advisor).order_by(Advisor.id)))
    if not rows:
        click.echo("no advisors yet: add one with `contact-assistant advisor create`")
        return
    click.echo(f"{'id':>4}  {'email':<32} {'role':<10} {'active':<6} {'last seen':<19} name")
    for a in rows:
        seen = a.last_seen_at.strftime("%Y-%m-%d %H:%M:%S") if a.last_seen_at else "never"
        click.echo(f"{a.id:>4}  {a.email:<32} {a.role:<10} {'yes' if a.active else 'no':<6} "
                   f"{seen:<19} {a.name}")


@click.group(help="The advisors' queue.")
def queue() -> None:
    pass


@queue.command("list", help="Tickets waiting for an advisor: most urgent first, then longest "
                            "waiting.")
def list_queue() -> None:
    db = _app().extensions["db"]
    now = utcnow()
    with db.session() as s:
        tickets = ops.queued(s)
        lines = []
        for t in tickets:
            channel = s.scalar(select(Conversation.channel).where(
                Conversation.id == t.conversation_id))
            minutes = int((now - t.queued_at).total_seconds() // 60)
            lines.append(f"{t.id:>5}  {t.priority:>3}  {t.reason:<15} {channel:<6} "
                         f"{minutes:>4} min  {ops.snippet(t.summary, 60)}")
    if not lines:
        click.echo("no one is waiting")
        return
    click.echo(f"{'id':>5}  {'pri':>3}  {'reason':<15} {'chan':<6} {'waiting':>8}  said")
    for line in lines:
        click.echo(line)


@queue.command("sweep-abandoned", help="Mark conversations whose resident has left (page "
                                       "closed, call ended, no SMS reply) as abandoned, so "
                                       "they leave the queue. Safe to run from cron.")
def sweep_abandoned() -> None:
    count = _app().extensions["router"].sweep_abandoned()
    click.echo(f"{count} conversation{'s' if count != 1 else ''} marked abandoned")
