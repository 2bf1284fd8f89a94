"""Structured (JSON-lines) logging; fields come from `extra=`, never from free text.

Two guards sit on the one handler every record goes through:
- a flood of the same trouble (the database down: every request and every job run
  fails alike) is written once per kind and window, then summed up in one line;
- libraries that log message bodies at DEBUG (slack_sdk, Bolt, SQLAlchemy's rows) are
  held at INFO or above whatever `LOG_LEVEL` says, so customer text never gets there.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TextIO

from config.errors import ConfigError

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

FLOOD_WINDOW_SECONDS = 60.0
KIND_FIELDS = ("job", "door")
"""`extra=` fields that tell kinds of trouble apart beyond logger, event and exception
(which job failed, which door answered 503), so each is summed up on its own."""

MAX_KINDS = 1000

QUIET_LIBRARIES = {
    "slack_sdk": logging.INFO,
    "slack_bolt": logging.INFO,
    "urllib3": logging.INFO,
    "httpcore": logging.INFO,
    "httpx": logging.WARNING,
    "sqlalchemy": logging.WARNING,
    "apscheduler": logging.WARNING,
    "alembic.runtime.plugins": logging.WARNING,
}
"""The least severe level each library may log at: slack_sdk and Bolt write request and
response bodies (message text) at DEBUG, httpx every URL it asks at INFO (a private
feed's URL is a secret), SQLAlchemy result rows at DEBUG and SQL at INFO; alembic
announces each of its plugins at INFO when it is imported (after logging is set up)."""

EXPECTED = (
    ("apscheduler", "maximum number of running instances reached"),
    ("slack_bolt", "will be ignored"),
)
"""Warnings about what Casebot does on purpose, so they are not written: APScheduler's,
every tick while a job's run outlasts its interval (the run still going catches up on
everything due); Bolt's, at every start, that it does not use `SLACK_BOT_TOKEN` itself
(Casebot hands it the token through `authorize`, see `bot.slack.identity`)."""


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


Kind = tuple[str, int, str, tuple[object, ...]]


@dataclass
class _Window:
    since: float
    level: int
    logger: str
    event: str
    left_out: int = 0


class FloodFilter(logging.Filter):
    """The first warning or error of each kind per `window` seconds is written; later
    ones of that kind are counted, and when the window closes one `log.repeated` line
    says how many were left out. A kind is the logger, the level, the exception class
    (or, without one, the message template) and the `KIND_FIELDS`."""

    def __init__(
        self,
        window: float = FLOOD_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        *,
        timer: bool = True,
    ) -> None:
        super().__init__()
        self.window = window
        self._clock = clock
        self._timer_enabled = timer
        self._timer: threading.Timer | None = None
        self._windows: dict[Kind, _Window] = {}
        self._lock = threading.Lock()
        self._summary = logging.getLogger("casebot.logs")

    @staticmethod
    def kind(record: logging.LogRecord) -> Kind:
        exc = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else None
        what = exc or str(record.msg)[:200]
        fields = tuple(getattr(record, f, None) for f in KIND_FIELDS)
        return (record.name, record.levelno, what, fields)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or getattr(record, "summary_of", None):
            return True
        if any(record.name.startswith(n) and m in str(record.msg) for n, m in EXPECTED):
            return False
        key, now = self.kind(record), self._clock()
        with self._lock:
            current = self._windows.get(key)
            if current is None or now - current.since >= self.window:
                if current is not None and current.left_out:
                    self._windows.pop(key)
                    self._emit(current)
                self._windows[key] = _Window(now, record.levelno, record.name, str(record.msg))
                self._forget_old(now)
                return True
            current.left_out += 1
            self._schedule(current.since + self.window - now)
            return False

    def flush(self, *, everything: bool = False) -> None:
        """Write the summary of every window that has closed (all of them: `everything`)."""
        now = self._clock()
        with self._lock:
            self._timer = None
            for key, window in list(self._windows.items()):
                closed = everything or now - window.since >= self.window
                if closed and window.left_out:
                    self._emit(window)
                    window.left_out = 0
                if closed:
                    self._windows.pop(key)
            pending = [w.since + self.window - now for w in self._windows.values() if w.left_out]
            if pending:
                self._schedule(min(pending))

    def _emit(self, window: _Window) -> None:
        self._summary.log(
            window.level,
            "log.repeated",
            extra={
                "summary_of": window.event,
                "of_logger": window.logger,
                "left_out": window.left_out,
                "seconds": round(self._clock() - window.since, 1),
            },
        )

    def _schedule(self, delay: float) -> None:
        if not self._timer_enabled or self._timer is not None:
            return
        self._timer = threading.Timer(max(delay, 0.0), self.flush)
        self._timer.daemon = True
        self._timer.start()

    def _forget_old(self, now: float) -> None:
        if len(self._windows) <= MAX_KINDS:
            return
        for key, window in list(self._windows.items()):
            if not window.left_out and now - window.since >= self.window:
                self._windows.pop(key)
        while len(self._windows) > MAX_KINDS:
            self._windows.pop(next(iter(self._windows)))


def parse_level(value: str) -> str:
    level = value.strip().upper()
    if level not in LEVELS:
        raise ConfigError(
            f"environment variable LOG_LEVEL: {value!r} is not a level; use {', '.join(LEVELS)}"
        )
    return level


def setup(level: str = "INFO", stream: TextIO | None = None) -> None:
    """JSON lines on stderr for everything, Python warnings included (they would
    otherwise print as plain text)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(FloodFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(parse_level(level))
    logging.captureWarnings(True)
    for name, least in QUIET_LIBRARIES.items():
        logging.getLogger(name).setLevel(max(least, root.level))
