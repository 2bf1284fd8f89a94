"""Structured (JSON-lines) logging; fields come from `extra=`, never from free text."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from config.errors import ConfigError

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        out.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def parse_level(value: str) -> str:
    level = value.strip().upper()
    if level not in LEVELS:
        raise ConfigError(
            f"environment variable LOG_LEVEL: {value!r} is not a level; use {', '.join(LEVELS)}"
        )
    return level


def setup(level: str = "INFO") -> None:
    """JSON lines on stderr for everything, Python warnings included (they would
    otherwise print as plain text)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(parse_level(level))
    logging.captureWarnings(True)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
