"""When the worker's outbox job drains: as soon as something new is queued, else once a
second.

A click changes its card through the outbox, so the worker's delay is what the clicker
waits: on a fixed one-second tick a claim reached the card 0-1 s after it committed.
The job now looks every `WATCH_SECONDS` at the outbox's newest row id (one look-up on
the primary key, `storage.outbox.newest`) and drains when it changed, or when a second
has passed since the last drain, so rows set back to a later time (retries, paced
edits, rate-limit turns) still go out when they are due.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from storage import outbox
from storage.db import Database

WATCH_SECONDS = 0.05
"""How often the outbox job looks for new rows: a card shows a click within about this
much of the worker being free, for a primary-key read twenty times a second."""
IDLE_SECONDS = 1.0
"""The longest the job goes without draining: rows due later than they were queued."""


class Watch:
    """Says whether the outbox job should drain now; one per worker process."""

    def __init__(
        self,
        db: Database,
        *,
        idle: float = IDLE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._idle = idle
        self._clock = clock
        self._seen: int | None = None
        self._drained = -math.inf

    def due(self) -> bool:
        """Whether to drain; when it says so, the newest row it saw counts as seen, so a
        row queued while the drain runs makes the next look due."""
        with self._db.read() as session:
            newest = outbox.newest(session)
        now = self._clock()
        if newest == self._seen and now - self._drained < self._idle:
            return False
        self._seen, self._drained = newest, now
        return True
