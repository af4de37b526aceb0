"""Every way we start Rasa passes the token so that one starting with "-" still parses.

secrets.token_urlsafe() starts with "-" about once in 64 tokens; `--auth-token -abc` would make
argparse stop with "expected one argument" and the Rasa server would never start."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from rasa.__main__ import create_argument_parser

from tests.stack import Stack

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "-Leading-dash-token"
LAUNCHERS = ["Procfile", "deploy/Procfile.production"]


def _rasa_args(command: str) -> list[str]:
    """The words after `rasa`, with the variables a shell would expand filled in."""
    for variable, value in (("${RASA_PORT:-5005}", "5005"), ("${RASA_PORT_2:-5006}", "5006"),
                            ("$RASA_PORT", "5005"), ("$RASA_TOKEN", TOKEN)):
        command = command.replace(variable, value)
    words = shlex.split(command)
    return words[words.index("run"):]


@pytest.mark.parametrize("launcher", LAUNCHERS)
def test_procfile_rasa_lines_accept_a_token_starting_with_a_dash(launcher):
    lines = [line.split(":", 1)[1] for line in (ROOT / launcher).read_text().splitlines()
             if line.startswith("rasa")]
    assert lines
    for line in lines:
        args = create_argument_parser().parse_args(_rasa_args(line))
        assert args.auth_token == TOKEN


def test_systemd_unit_accepts_a_token_starting_with_a_dash():
    unit = (ROOT / "deploy/systemd/council-rasa@.service").read_text()
    assert "--auth-token=${RASA_TOKEN}" in unit


def test_test_stack_accepts_a_token_starting_with_a_dash(tmp_path):
    stack = Stack(tmp_path, extra_env={"RASA_TOKEN": TOKEN})
    command = stack.commands()["rasa"]
    args = create_argument_parser().parse_args(command[command.index("run"):])
    assert args.auth_token == TOKEN
