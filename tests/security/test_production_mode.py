"""APP_ENV=production refuses to start unsafely, and scripts/env.sh never overrides a variable
that is already set."""

from __future__ import annotations

import secrets
import subprocess
from pathlib import Path

import pytest

from core import local_secrets
from core.settings import ConfigError, load_settings, secret_problem

ROOT = Path(__file__).resolve().parents[2]
NAMES = ("SECRET_KEY", "RASA_TOKEN", "OPTOUT_HMAC_KEY", "TWILIO_AUTH_TOKEN")


@pytest.fixture
def production(monkeypatch, tmp_path):
    """A complete, strong production environment; each test breaks one thing."""
    for name in NAMES:
        monkeypatch.setenv(name, secrets.token_urlsafe(32))
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", secrets.token_hex(16))  # Twilio's own format
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://assistant.example.gov.uk")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/1")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    return monkeypatch


def test_a_strong_production_environment_starts(production):
    assert load_settings().app_env == "production"


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("value,why", [
    ("", "missing"), ("x", "too short"), ("change-me-to-a-long-random-value-please", "placeholder"),
    ("a" * 40, "predictable"), ("abcd" * 10, "predictable"), ("0123456789" * 4, "placeholder"),
])
def test_a_missing_weak_or_placeholder_secret_refuses_to_start(production, name, value, why):
    production.setenv(name, value)
    with pytest.raises(ConfigError, match=f"{name} is [^;]*{why}"):
        load_settings()


@pytest.mark.parametrize("url", ["", "http://assistant.example.gov.uk", "assistant.example.gov.uk"])
def test_production_needs_an_https_public_base_url(production, url):
    production.setenv("PUBLIC_BASE_URL", url)
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL must be the https"):
        load_settings()


def test_production_needs_shared_rate_limit_storage(production):
    production.setenv("RATELIMIT_STORAGE_URI", "memory://")
    with pytest.raises(ConfigError, match="RATELIMIT_STORAGE_URI"):
        load_settings()


def test_development_still_starts_on_generated_local_values(monkeypatch):
    monkeypatch.delenv("APP_ENV", raising=False)
    for name in NAMES:
        monkeypatch.setenv(name, "x")
    assert load_settings().app_env == "development"


def test_generated_values_pass_the_strength_check():
    assert secret_problem(secrets.token_urlsafe(32)) is None
    assert secret_problem(secrets.token_hex(16)) is None  # a Twilio auth token


def test_production_never_reads_var_secrets(production, tmp_path, monkeypatch):
    """A production host that lacks a secret must not silently use a locally generated one."""
    from contact_assistant.app import create_app

    var = tmp_path / "var"
    monkeypatch.setattr(local_secrets, "VAR_DIR", var)
    local_secrets.ensure_local_secrets(var / "secrets.env")
    production.delenv("SECRET_KEY")
    with pytest.raises(ConfigError, match="SECRET_KEY is missing"):
        create_app()
    production.delenv("APP_ENV")  # development does use the local file
    assert create_app().config["SECRET_KEY"] == \
        local_secrets.read_env_file(var / "secrets.env")["SECRET_KEY"]


def _source_env(tmp_path: Path, **env: str) -> dict[str, str]:
    names = " ".join(NAMES)
    script = f"source scripts/env.sh >/dev/null; for n in {names}; do echo \"$n=${{!n:-}}\"; done"
    out = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True,
                         check=True, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                                          "VAR_DIR": str(tmp_path / "var"), **env})
    return dict(line.split("=", 1) for line in out.stdout.splitlines())


def test_env_sh_never_replaces_a_variable_already_set(tmp_path):
    mine = secrets.token_hex(16)
    values = _source_env(tmp_path, TWILIO_AUTH_TOKEN=mine)  # the other secrets are missing
    assert values["TWILIO_AUTH_TOKEN"] == mine  # before: replaced, and every webhook said 403
    generated = local_secrets.read_env_file(tmp_path / "var" / "secrets.env")
    assert values["SECRET_KEY"] == generated["SECRET_KEY"]  # the missing ones are filled in


def test_env_sh_in_production_neither_generates_nor_reads_var(tmp_path):
    values = _source_env(tmp_path, APP_ENV="production")
    assert values["SECRET_KEY"] == ""
    assert not (tmp_path / "var" / "secrets.env").exists()
