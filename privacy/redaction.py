"""The privacy package's redaction API: the pure rules live in core/redaction.py.

They sit in core/ so that the Rasa and action-server processes, whose code (bot/) may not import
privacy/, redact their logs with exactly the same rules. Import from here in privacy-aware code.
"""

from __future__ import annotations

from core.redaction import ALL_KINDS, ORDER, found_kinds, marker, redact, redact_data

__all__ = ["ALL_KINDS", "ORDER", "found_kinds", "marker", "redact", "redact_data"]
