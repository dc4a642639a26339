"""Structured logs for the daemon: one JSON object per line on stderr, or plain text on a terminal.

Both keep the fields a record carries (``extra=``): the plain form appends them as ``key=value``
(logfmt: values with spaces or quotes are quoted), so a terminal shows why a run failed::

    WARNING tailwatch.generator: run failed generator=x version=y error="pattern ... matches
    no data files"   (one line)
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

__all__ = [
    "LOG_FORMATS",
    "JsonFormatter",
    "PlainFormatter",
    "configure_logging",
    "structured_logs",
]

LOG_FORMATS = ("json", "text")


def structured_logs(log_format: str | None, *, default: bool) -> bool:
    """True for JSON lines: ``--log-format json|text``, else ``default`` (the command's own:
    the daemon JSON, ``scan`` and ``demo`` text on a terminal)."""
    if log_format is None:
        return default
    if log_format not in LOG_FORMATS:
        raise ValueError(f"--log-format: {log_format!r}; choose from {', '.join(LOG_FORMATS)}")
    return log_format == "json"


# Attributes every LogRecord has; anything else came in through ``extra=`` and is a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", ...extra fields}`` per record."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_fields(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def _fields(record: logging.LogRecord) -> dict[str, object]:
    return {
        key: value
        for key, value in vars(record).items()
        if key not in _STANDARD and not key.startswith("_")
    }


def _logfmt(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if text and not any(c.isspace() or c in '"=\\' for c in text):
        return text
    return json.dumps(text, ensure_ascii=False)


class PlainFormatter(logging.Formatter):
    """``LEVEL logger: message key=value ...``: the message and every structured field."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = " ".join(f"{key}={_logfmt(value)}" for key, value in _fields(record).items())
        if not fields:
            return line
        head, sep, rest = line.partition("\n")  # a traceback stays below the fields
        return f"{head} {fields}{sep}{rest}"


def configure_logging(level: str = "INFO", *, structured: bool = True) -> None:
    """Send ``tailwatch.*`` and APScheduler logs to stderr (JSON lines when ``structured``)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if structured else PlainFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("apscheduler.scheduler").addFilter(_expected_skips)


def _expected_skips(record: logging.LogRecord) -> bool:
    """Drop "maximum number of running instances reached": a scan longer than its interval
    is expected (``max_instances=1`` is deliberate), not a warning."""
    return "maximum number of running instances" not in record.getMessage()
