"""Where "now" comes from: the core never reads the wall clock itself.

Called a time source, never a clock: in Casebot a clock is an SLA clock (`bot/sla/`).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class TimeSource(Protocol):
    def now(self) -> datetime: ...


class SystemTime:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualTime:
    """Time that tests and the demo move by hand; thread-safe so the web side can read it."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualTime needs an aware datetime")
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta | float) -> datetime:
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        with self._lock:
            self._now += step
            return self._now
