"""What every WTForms form in the app shares (the console's and the privacy choices form)."""

from __future__ import annotations

from typing import Any


def strip(value: Any) -> Any:
    """A field filter: surrounding spaces are never part of what someone meant to type."""
    return value.strip() if isinstance(value, str) else value
