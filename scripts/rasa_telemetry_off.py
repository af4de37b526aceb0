"""Make sure Rasa never decides on its own to send usage telemetry from this machine.

Rasa reads telemetry from two places: RASA_TELEMETRY_ENABLED in the environment (scripts/env.sh,
the systemd units and the test stack set it to false for every Rasa process, training included)
and `metrics: enabled:` in ~/.config/rasa/global.yml. Even with the variable set, the first Rasa
command on a machine writes `metrics: enabled: true` there when the file has no `metrics` key.
This writes `enabled: false` first, so that never happens. A choice already in the file is left
as it is (the environment variable still wins for our processes).

Standalone on purpose (no rasa import, about 50 ms): scripts/env.sh runs it before any Rasa command.
"""

from __future__ import annotations

import datetime
import os
import sys
import uuid
from pathlib import Path

import yaml


def global_config_path() -> Path:
    # The same expansion Rasa uses (rasa.constants.GLOBAL_USER_CONFIG_PATH).
    return Path(os.path.expanduser("~/.config/rasa/global.yml"))


def ensure_disabled(path: Path | None = None) -> bool:
    """Write `metrics: enabled: false` unless the file already holds a choice; True if written."""
    path = path or global_config_path()
    try:
        current = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, yaml.YAMLError):
        return False  # unreadable: Rasa cannot read it either, and the env variable still wins
    current = current if isinstance(current, dict) else {}
    if isinstance(current.get("metrics"), dict) and "enabled" in current["metrics"]:
        return False
    current["metrics"] = {
        "enabled": False,
        "rasa_user_id": uuid.uuid4().hex,
        "date": datetime.datetime.now(),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(current, default_flow_style=False), encoding="utf-8")
    except OSError as exc:  # a read-only home: the environment variable still applies
        print(f"rasa telemetry: could not write {path}: {exc}", file=sys.stderr)
        return False
    return True


if __name__ == "__main__":
    ensure_disabled()
