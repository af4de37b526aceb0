"""Every way we start Rasa and the action server: no HTTP API, no token on the command line,
and no usage telemetry.

- Without `--enable-api` Rasa's HTTP API (model upload, tracker writes; CVE-2024-49375 came in
  that way) does not exist. Our input channels need only RASA_TOKEN from the environment, so the
  token is not on the command line either, where `ps` shows it to every local user.
- RASA_TELEMETRY_ENABLED=false reaches every Rasa process, training included.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest
from rasa.__main__ import create_argument_parser

from tests.stack import Stack

ROOT = Path(__file__).resolve().parent.parent
LAUNCHERS = ["Procfile", "deploy/Procfile.production"]
SYSTEMD_UNITS = ["deploy/systemd/council-rasa@.service", "deploy/systemd/council-actions.service"]


def _lines(launcher: str, prefix: str) -> list[str]:
    return [line.split(":", 1)[1] for line in (ROOT / launcher).read_text().splitlines()
            if line.startswith(prefix)]


def _rasa_args(command: str) -> list[str]:
    """The words after `rasa`, with the port variables a shell would expand filled in."""
    command = re.sub(r"\$\{?RASA_PORT\w*(:-\d+)?\}?", "5005", command)
    words = shlex.split(command)
    return words[words.index("run"):]


@pytest.mark.parametrize("launcher", LAUNCHERS)
def test_procfile_rasa_lines_have_no_api_no_token_and_no_telemetry(launcher):
    lines = _lines(launcher, "rasa")
    assert lines
    for line in lines:
        args = create_argument_parser().parse_args(_rasa_args(line))
        assert args.enable_api is False, line
        assert args.auth_token is None and "RASA_TOKEN" not in line, line
        assert "RASA_TELEMETRY_ENABLED=false" in line, line


@pytest.mark.parametrize("launcher", LAUNCHERS)
def test_procfile_action_server_has_no_telemetry(launcher):
    lines = _lines(launcher, "actions")
    assert lines and all("RASA_TELEMETRY_ENABLED=false" in line for line in lines)


@pytest.mark.parametrize("unit", SYSTEMD_UNITS)
def test_systemd_units_have_no_api_no_token_and_no_telemetry(unit):
    text = (ROOT / unit).read_text()
    assert "--enable-api" not in text and "--auth-token" not in text
    assert "RASA_TELEMETRY_ENABLED=false" in text


def test_test_stack_runs_rasa_like_the_procfile(tmp_path):
    stack = Stack(tmp_path)
    command = stack.commands()["rasa"]
    args = create_argument_parser().parse_args(command[command.index("run"):])
    assert args.enable_api is False and args.auth_token is None
    assert stack.env["RASA_TELEMETRY_ENABLED"] == "false"


def test_make_targets_run_rasa_with_telemetry_off(tmp_path):
    """Training, validation and story tests run from the Makefile after scripts/env.sh."""
    out = subprocess.run(
        ["bash", "-c", "source scripts/env.sh >/dev/null && echo $RASA_TELEMETRY_ENABLED"],
        cwd=ROOT, capture_output=True, text=True, check=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "VAR_DIR": str(tmp_path / "var"),
             "SECRET_KEY": "x", "RASA_TOKEN": "x", "OPTOUT_HMAC_KEY": "x",
             "TWILIO_AUTH_TOKEN": "x"},
    )
    assert out.stdout.strip() == "false"
    # ...and sourcing it leaves Rasa's global config saying "off", not "on".
    config = (tmp_path / ".config" / "rasa" / "global.yml").read_text()
    assert "enabled: false" in config


def _telemetry_helper():
    import importlib.util

    spec = importlib.util.spec_from_file_location("rasa_telemetry_off",
                                                  ROOT / "scripts" / "rasa_telemetry_off.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rasa_reads_telemetry_as_off_both_ways(tmp_path, monkeypatch):
    import rasa.constants
    import yaml
    from rasa import telemetry

    config = tmp_path / "global.yml"
    monkeypatch.setattr(rasa.constants, "GLOBAL_USER_CONFIG_PATH", str(config))
    monkeypatch.setenv("RASA_TELEMETRY_ENABLED", "false")
    # Why the file matters: with the variable alone, Rasa's first run still writes "on".
    telemetry.initialize_telemetry()
    assert yaml.safe_load(config.read_text())["metrics"]["enabled"] is True
    config.unlink()

    assert _telemetry_helper().ensure_disabled(config) is True
    assert telemetry.initialize_telemetry() is False
    assert telemetry.is_telemetry_enabled() is False
    assert yaml.safe_load(config.read_text())["metrics"]["enabled"] is False
    monkeypatch.delenv("RASA_TELEMETRY_ENABLED")
    assert telemetry.is_telemetry_enabled() is False  # the file alone says off too


def test_a_choice_already_in_rasas_config_is_left_alone(tmp_path):
    config = tmp_path / "global.yml"
    config.write_text("metrics:\n  enabled: false\n  rasa_user_id: abc\nother: 1\n")
    assert _telemetry_helper().ensure_disabled(config) is False
    assert "other: 1" in config.read_text()
