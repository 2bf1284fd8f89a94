"""The one outbox loop: lease due rows, hand each to its kind's deliverer, record what
happened (sent, retry later, or dead-lettered as failed).

Leases are fenced (`storage.outbox`): a heartbeat renews the lease of every row this
pass still holds while its deliverer is busy, and a deliverer calls `Attempt.fence()`
before anything irreversible (a post), which renews the lease and records that a post
is beginning, or raises `LeaseLost` when another worker took the row over meanwhile.
Only the current holder marks a row sent. The lease is much longer than the longest
single call a deliverer makes (the Slack client's timeout), so a live worker keeps its
rows; a dead one's expire and are taken over, with the post they may have begun looked
up first (see `bot.slack.posting`).
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from bot.metrics import DEAD_LETTERED, DELIVERED, RETRIED
from bot.outbox.kinds import UNORDERED
from bot.timesource import TimeSource
from config.schema import CasebotConfig
from storage import outbox
from storage.db import Database
from storage.outbox import LEASE, Claimed

log = logging.getLogger("casebot.outbox")

MAX_BACKOFF = timedelta(minutes=5)
Deferrals = list[tuple[Claimed, datetime]]
"""A round's deferred rows with when each is due again, put back together (`_put_back`)."""


class RetryLater(Exception):
    """A transient failure; `after` is the remote's own Retry-After when it gave one.
    `unsure` False says the remote refused the call (nothing was posted), so the next
    attempt need not look for what this one posted."""

    def __init__(self, message: str, after: timedelta | None = None, *, unsure: bool = True):
        super().__init__(message)
        self.after = after
        self.unsure = unsure


class GiveUp(Exception):
    """A permanent failure: the row is dead-lettered (parked as failed) with this message."""


class Deferred(Exception):
    """Nothing was tried (no room in a rate limit, or a lookup must wait for Slack's
    index): the row goes back until `after` from now, without counting an attempt."""

    def __init__(self, after: timedelta) -> None:
        super().__init__(f"deferred {after.total_seconds():.1f}s")
        self.after = after


class LeaseLost(Exception):
    """Another worker holds the row now; this one must not act on it."""


@dataclass
class Attempt:
    """One attempt at one row, with its lease."""

    row: Claimed
    delivery: Delivery

    def fence(self, *, posting: bool = False) -> None:
        """Renew the lease for a whole call from now, or raise `LeaseLost`; `posting`
        also records that a call that may post is beginning."""
        d, now = self.delivery, self.delivery.time.now()
        with d.db.session() as session:
            held = outbox.renew(
                session,
                row_id=self.row.id,
                token=self.row.token,
                until=now + d.lease,
                post_started_at=now if posting else None,
            )
        if not held:
            raise LeaseLost(f"outbox row {self.row.id} was taken over")


Deliverer = Callable[["Delivery", Attempt], dict[str, Any]]


@dataclass(frozen=True)
class Delivery:
    """What the runner needs: the database, the config, the time source, the lease, and
    a deliverer per kind (the plugins, put together by `bot.worker.delivery`)."""

    db: Database
    config: CasebotConfig
    time: TimeSource
    deliverers: Mapping[str, Deliverer] = field(default_factory=dict)
    lease: timedelta = LEASE
    threads: int = 1
    """Rows of different cases delivered at once (`deliver_due`); 1 keeps queue order."""


def backoff(attempt: int) -> timedelta:
    base = min(MAX_BACKOFF.total_seconds(), 2 ** min(attempt, 10))
    return timedelta(seconds=base * (0.5 + random.random() / 2))


class _Heartbeat:
    """Renews the leases of the rows a pass still holds, every third of the lease."""

    def __init__(self, d: Delivery, rows: list[Claimed]) -> None:
        self._d, self._held = d, {row.id: row.token for row in rows}
        self._lock, self._stop = threading.Lock(), threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-lease", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def release(self, row_id: int) -> None:
        with self._lock:
            self._held.pop(row_id, None)

    def _run(self) -> None:
        while not self._stop.wait(self._d.lease.total_seconds() / 3):
            with self._lock:
                held = dict(self._held)
            try:
                with self._d.db.session() as session:
                    until = self._d.time.now() + self._d.lease
                    for row_id, token in held.items():
                        if not outbox.renew(session, row_id=row_id, token=token, until=until):
                            log.warning("outbox.lease_lost", extra={"row": row_id})
            except Exception as exc:  # the database is away: the fence will tell
                log.warning("outbox.lease_renewal_failed", extra={"error": type(exc).__name__})


def deliver_due(d: Delivery, *, limit: int = 50) -> int:
    """Deliver what is due now; returns how many rows were sent."""
    with d.db.session() as session:
        claimed = outbox.claim_due(
            session, now=d.time.now(), limit=limit, unordered=UNORDERED, lease=d.lease
        )
    if not claimed:
        return 0
    deferred: Deferrals = []
    lanes = _lanes(claimed) if d.threads > 1 else [claimed]
    with _Heartbeat(d, claimed) as heartbeat:
        deliver = partial(_deliver_lane, d, heartbeat, deferred)
        try:
            if len(lanes) == 1:
                return deliver(lanes[0])
            with ThreadPoolExecutor(min(d.threads, len(lanes)), "outbox") as pool:
                return sum(pool.map(deliver, lanes))
        finally:
            _put_back(d, deferred)


def _deliver_lane(
    d: Delivery,
    heartbeat: _Heartbeat,
    deferred: Deferrals,
    rows: list[Claimed],
) -> int:
    """One lane's rows, in order; each stops being renewed once it is done with."""
    sent = 0
    for row in rows:
        try:
            sent += _deliver(d, row, deferred)
        finally:
            heartbeat.release(row.id)
    return sent


def _put_back(d: Delivery, deferred: Deferrals) -> None:
    """The rows a round deferred, in one transaction: a paced channel's backlog is most
    of a round's rows under a storm, and one write each took SQLite's one writer from
    ingest dozens of times a second. Nothing was tried for these rows, and their
    leases keep them this worker's until then."""
    if not deferred:
        return
    with d.db.session() as session:
        outbox.defer_all(session, [(row.id, row.token, at) for row, at in deferred])


def _lanes(claimed: list[Claimed]) -> list[list[Claimed]]:
    """The claimed rows by case, each in queue order, and the rows of no case in one
    more lane (a digest's messages, in the order they were queued). A lane is delivered
    in order; lanes at once, each waiting on Slack or the database on its own thread:
    one card edit at a time, the worker's rounds were what a clicker waited for under
    load (a click's card p99 1.7-3.2 s on PostgreSQL at twenty clients)."""
    lanes: dict[int | None, list[Claimed]] = {}
    for row in claimed:
        lanes.setdefault(row.case_id, []).append(row)
    return list(lanes.values())


def _deliver(d: Delivery, row: Claimed, deferred: Deferrals) -> int:
    deliverer = d.deliverers.get(row.kind)
    now = d.time.now()
    try:
        if deliverer is None:
            raise ValueError(f"unknown outbox kind {row.kind!r}")
        result = deliverer(d, Attempt(row, d))
    except LeaseLost:
        log.warning("outbox.lease_lost", extra={"row": row.id, "kind": row.kind})
        return 0
    except Deferred as exc:
        deferred.append((row, now + exc.after))
        return 0
    except RetryLater as exc:
        at = now + (exc.after if exc.after is not None else backoff(row.attempt))
        _retry(d, row, at, str(exc), unsure=exc.unsure)
        return 0
    except GiveUp as exc:
        log.warning("outbox.gave_up", extra={"row": row.id, "kind": row.kind, "error": str(exc)})
        with d.db.session() as session:
            if outbox.mark_failed(session, row_id=row.id, token=row.token, error=str(exc)):
                DEAD_LETTERED.labels(kind=row.kind).inc()
        return 0
    except (OSError, ValueError, KeyError) as exc:
        log.warning("outbox.error", extra={"row": row.id, "kind": row.kind, "error": repr(exc)})
        _retry(d, row, now + backoff(row.attempt), repr(exc), unsure=True)
        return 0
    with d.db.session() as session:
        done = outbox.mark_sent(session, row_id=row.id, token=row.token, now=now, result=result)
    if not done:
        log.warning("outbox.fenced", extra={"row": row.id, "kind": row.kind})
        return 0
    DELIVERED.labels(kind=row.kind).inc()
    return 1


def _retry(d: Delivery, row: Claimed, at: datetime, error: str, *, unsure: bool) -> None:
    with d.db.session() as session:
        outbox.mark_retry(
            session,
            row_id=row.id,
            token=row.token,
            at=at,
            error=error,
            post_started_at=True if unsure else row.post_started_at,
        )
    RETRIED.labels(kind=row.kind).inc()
