"""PII-safe logging for every process: the web app, Rasa (installed from bot/input_channels.py)
and the action server (bot/actions/__init__.py).

Each record is redacted as it is created: its message, its traceback (an exception's text often
quotes the value that failed: a phone number, an email address) and its stack. So handlers added
later (logging.basicConfig, gunicorn, Sanic, pytest) and records from child loggers, which never
pass the root logger's own filters, are covered too.
"""

from __future__ import annotations

import logging
import traceback

from core.redaction import redact

_FORMATTER = logging.Formatter()


class RedactingFilter(logging.Filter):
    """Redacts personal data from a log record, traceback included, before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not stop logging
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and record.exc_info[0] is not None:
            # Render the traceback now, redacted; formatters print exc_text as it is and only
            # format exc_info themselves when exc_text is empty, so drop the raw exception.
            record.exc_text = _format_exception(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def _format_exception(exc_info) -> str:
    try:
        return _FORMATTER.formatException(exc_info)
    except Exception:  # noqa: BLE001 - an exception whose str() fails still gets its type
        return "".join(traceback.format_exception_only(exc_info[0], None)).strip()


def _redacting_record_factory(base):
    def factory(*args, **kwargs):
        record = base(*args, **kwargs)
        RedactingFilter().filter(record)
        return record

    factory.redacting = True
    return factory


def install_log_redaction() -> None:
    """Idempotent: redact every record this process creates from now on."""
    current = logging.getLogRecordFactory()
    if not getattr(current, "redacting", False):
        logging.setLogRecordFactory(_redacting_record_factory(current))
    root = logging.getLogger()
    if not any(isinstance(f, RedactingFilter) for f in root.filters):
        root.addFilter(RedactingFilter())
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
