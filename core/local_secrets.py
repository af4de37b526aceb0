"""Local-only secrets: generated once into var/secrets.env for `make run` and tests.

Production never uses this: it sets the variables in the environment, and values
already in the environment always win.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from core.settings import VAR_DIR

GENERATED = ("SECRET_KEY", "RASA_TOKEN", "OPTOUT_HMAC_KEY", "TWILIO_AUTH_TOKEN")


def ensure_local_secrets(path: Path | None = None) -> Path:
    """Create var/secrets.env with random values for any secret not yet in it."""
    path = path or VAR_DIR / "secrets.env"
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = read_env_file(path)
    added = {name: secrets.token_urlsafe(32) for name in GENERATED if name not in existing}
    if added or not path.exists():
        with path.open("a", encoding="utf-8") as fh:
            for name, value in added.items():
                fh.write(f"{name}={value}\n")
        path.chmod(0o600)
    return path


def read_env_file(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def load_local_secrets(path: Path | None = None) -> None:
    """Put var/secrets.env values into os.environ where the environment has none."""
    for key, value in read_env_file(path or VAR_DIR / "secrets.env").items():
        os.environ.setdefault(key, value)
