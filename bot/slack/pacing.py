"""Slack's rate limits, kept by the worker instead of discovered by 429s.

Slack allows `chat.postMessage` about one message per second per channel, with short
bursts; other methods are limited per method across the workspace. One `Pacer` is
shared by every delivery of a worker process: a token bucket per (method, channel) for
the paced methods, and a hold per (method, channel) — per method for the methods Slack
limits workspace-wide — until the `Retry-After` of a 429 has passed. A delivery that
finds no room is put back for the time it would have to wait (`runner.Deferred`), so
one channel's backoff never holds up another's messages. Several worker processes
each keep their own pacer: their rates add up.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

POST = "chat.postMessage"
PER_CHANNEL = frozenset({POST})
"""Methods whose limit (and so whose Retry-After) Slack applies per channel."""


@dataclass
class _Bucket:
    tokens: float
    at: float
    queued_until: float = 0.0
    """The slot after the last one handed to a deferred call: a backlog is deferred one
    slot apart, each to its own turn, not all to the next token (where all but one
    would be deferred again, a write each, every second)."""


class Pacer:
    """`rate` messages per second per channel (0: no pacing, holds still apply) with
    bursts of up to `burst`; `clock` is monotonic seconds. The burst is kept below
    Slack's own (about 3), so requests that arrive closer together than they were sent
    (network and server jitter) still fit."""

    def __init__(
        self, rate: float, burst: int = 2, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate, self.burst, self._clock = rate, burst, clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._holds: dict[tuple[str, str | None], float] = {}
        self._turns: dict[tuple[str, str], threading.Lock] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _scope(method: str, channel: str | None) -> tuple[str, str | None]:
        return (method, channel if method in PER_CHANNEL else None)

    def take(self, method: str, channel: str | None, *, spend: bool = True) -> float:
        """0 when the call may go now (and is counted), else the seconds to wait first:
        until the next token, or, behind calls already told to wait, until their turns
        are past. `spend=False` asks ahead of the work of making the call: a wait is
        handed its turn as above, but room now is left for the call itself to take."""
        now = self._clock()
        with self._lock:
            held = self._holds.get(self._scope(method, channel), 0.0) - now
            if held > 0:
                return held
            if method not in PER_CHANNEL or not self.rate or channel is None:
                return 0.0
            bucket = self._buckets.setdefault((method, channel), _Bucket(self.burst, now))
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
            if bucket.tokens >= 1:
                if spend:
                    bucket.tokens -= 1
                return 0.0
            turn = max(now + (1 - bucket.tokens) / self.rate, bucket.queued_until)
            bucket.queued_until = turn + 1 / self.rate
            return turn - now

    @contextmanager
    def turn(self, method: str, channel: str | None) -> Iterator[None]:
        """One call at a time per paced method and channel in this process, held around
        taking the token and making the call: the worker delivers several cases at once,
        and a call that meets a 429 must hold the channel before the next call to it
        takes a token (one refused post, not one per delivery in flight). Posts to one
        channel go at about one a second anyway; other methods do not wait."""
        if method not in PER_CHANNEL or channel is None:
            yield
            return
        with self._lock:
            lock = self._turns.setdefault((method, channel), threading.Lock())
        with lock:
            yield

    def hold(self, method: str, channel: str | None, seconds: float) -> None:
        """Slack said Retry-After `seconds` for this method (and channel)."""
        scope, until = self._scope(method, channel), self._clock() + seconds
        with self._lock:
            self._holds[scope] = max(self._holds.get(scope, 0.0), until)
            if method in PER_CHANNEL and channel is not None:
                # One message when the hold ends, then the normal rate: not a full burst
                # into a channel that was just over its limit.
                self._buckets[(method, channel)] = _Bucket(1.0, until)
