"""A token bucket per client address, in this process's memory.

The status page needs no more: a token has 192 random bits, so guessing is hopeless at
any rate; the limit keeps one client from keeping the database busy. Each web process
has its own buckets (with `WEB_CONCURRENCY=2` a client gets up to twice the rate), and
at most `max_clients` addresses are remembered: the least recently seen is forgotten
first, which only ever lets a forgotten client start again with a full bucket.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: float
    """Seconds until the next request would be allowed (0 when this one was)."""


class TokenBucket:
    def __init__(
        self,
        *,
        capacity: float,
        per_second: float,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = capacity
        self.per_second = per_second
        self._max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, client: str) -> Verdict:
        """Spend one token of `client`'s bucket, refilled at `per_second` up to `capacity`."""
        with self._lock:
            now = self._clock()
            tokens, since = self._buckets.pop(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - since) * self.per_second)
            allowed = tokens >= 1
            if allowed:
                tokens -= 1
            self._buckets[client] = (tokens, now)
            while len(self._buckets) > self._max_clients:
                self._buckets.popitem(last=False)
        wait = 0.0 if allowed else (1 - tokens) / self.per_second
        return Verdict(allowed=allowed, retry_after=wait)
