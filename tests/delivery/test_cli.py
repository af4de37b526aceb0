"""`python -m delivery` and `contact-assistant worker check`: configuration errors are clear and
stop the worker with status 2 (systemd does not restart it in a loop)."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from delivery.cli import worker
from tests.delivery.conftest import OPTOUT_KEY
from tests.delivery.servers import Open311Server
from tests.stack import ROOT


def test_an_unknown_service_code_stops_the_worker_with_status_2(database_url, tmp_path,
                                                                open311_server):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "DATABASE_URL": database_url,
           "VAR_DIR": str(tmp_path), "OPTOUT_HMAC_KEY": OPTOUT_KEY,
           "OPEN311_BASE_URL": open311_server.url, "OPEN311_API_KEY": Open311Server.API_KEY,
           "OPEN311_SERVICE_CODES": "pothole=POT,streetlight=LAMP"}
    done = subprocess.run([sys.executable, "-m", "delivery", "--burst"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "streetlight=LAMP" in done.stderr and "It offers: BIN, FLY, POT, SL" in done.stderr


def test_worker_check_says_what_is_set_up(monkeypatch, open311_server):
    runner = CliRunner()
    monkeypatch.delenv("OPEN311_BASE_URL", raising=False)
    monkeypatch.setenv("OPTOUT_HMAC_KEY", OPTOUT_KEY)
    assert "No back office is set up" in runner.invoke(worker, ["check"]).output
    monkeypatch.setenv("OPEN311_BASE_URL", open311_server.url)
    monkeypatch.setenv("OPEN311_API_KEY", Open311Server.API_KEY)
    monkeypatch.setenv("OPEN311_SERVICE_CODES", "pothole=POT,missed_bin=BIN")
    result = runner.invoke(worker, ["check"])
    assert result.exit_code == 0 and "offers every configured service code" in result.output
    monkeypatch.setenv("OPEN311_SERVICE_CODES", "pothole=PTH")
    result = runner.invoke(worker, ["check"])
    assert result.exit_code == 1 and "pothole=PTH" in result.output
    monkeypatch.setenv("OPEN311_API_KEY", "")
    result = runner.invoke(worker, ["check"])
    assert result.exit_code == 1 and "OPEN311_API_KEY is not" in result.output
