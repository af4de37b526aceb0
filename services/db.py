"""The database for bot actions and the data CLI: `Database` from DATABASE_URL, one per URL."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from storage.db import Database

_lock = threading.Lock()
_databases: dict[str, Database] = {}


def database_url() -> str:
    """DATABASE_URL, or the embedded default (var/app.db) that scripts/env.sh also uses."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return url
    var_dir = Path(os.environ.get("VAR_DIR") or "var").resolve()
    return f"sqlite:///{var_dir / 'app.db'}"


def get_database(url: str | None = None) -> Database:
    """The shared `Database` for `url` (default: from the environment). Engines are reused."""
    url = url or database_url()
    with _lock:
        db = _databases.get(url)
        if db is None:
            db = _databases[url] = Database(url)
        return db


def dispose_all() -> None:
    """Close every cached engine (tests, and the CLI before exit)."""
    with _lock:
        for db in _databases.values():
            db.engine.dispose()
        _databases.clear()
