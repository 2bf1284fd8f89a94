"""Group commit for ingest: the posts that arrive together share one transaction.

A commit is the expensive part of an accepted post: on PostgreSQL a durable flush of
the WAL, on SQLite the one write lock, held from `BEGIN IMMEDIATE` to `COMMIT`. One
request at a time per lock caps ingest near one post per commit latency, however many
clients send. Here the request threads of a process queue their posts; one of them (the
leader) waits for its process's turn to write (`Database.writer_turn`), then takes
everything queued, so that the posts that came while it waited are in its batch, runs
`intake.receive_all` for them inside one transaction (on SQLite after reading the
batch's look-ups, `bot.fresh`), commits once, and wakes the others; if one post fails,
that transaction is rolled back and done again with a SAVEPOINT per post. While it
works the next posts queue, so under load batches grow by themselves and when quiet a
post is a batch of one: no timer, no added wait.

What stays true:
- "202 only after commit": `store` returns only after the commit that holds its row;
  if that commit fails every post in the batch gets the error (a 503 for a database that
  is down) and none got a 202.
- A post that fails fails alone: in the second try its SAVEPOINT is rolled back and the
  others commit. A concurrent duplicate (the same post through another process, which
  committed first) trips the unique constraint in its savepoint and is retried once,
  taking the duplicate branch, exactly as `intake.store` retries its unit of work.
- One case per `(source, id)`: two copies in one batch see each other (one session), so
  the second is the duplicate; a copy stored by another process after the look-up trips
  the unique constraint, and the retry looks it up inside the transaction.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot import intake, metrics
from bot.fresh import look_up, look_up_in
from bot.intake import Received
from bot.posts import IncomingPost
from config.schema import CasebotConfig
from storage import rows
from storage.db import Database

log = logging.getLogger("casebot.ingest")

MAX_BATCH = 64
"""At most this many posts per transaction: a bound on the leader's own wait and on how
long SQLite's write lock is held (a few milliseconds a post)."""
LEADERS = 1
"""Batches in flight at once per process. SQLite has one writer. On PostgreSQL, which
has none, overlapping batches were measured slower (`bench.ingest`, 16 clients: 272
posts/s with one, 216 with two, 263 with four): smaller batches, more commits, and the
request threads' interpreter lock shared by more leaders."""


@dataclass(eq=False)
class _Pending:
    post: IncomingPost
    now: datetime
    done: bool = False
    result: Received | None = None
    error: BaseException | None = None

    def outcome(self) -> Received:
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


class GroupCommit:
    """`store(post)` for many threads at once; see the module docstring."""

    def __init__(
        self,
        db: Database,
        config: CasebotConfig,
        *,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self.db = db
        self.config = config
        self.max_batch = max_batch
        self._cond = threading.Condition()
        self._queue: list[_Pending] = []
        self._leading = 0

    def store(self, post: IncomingPost, *, now: datetime) -> Received:
        """Store the post (as `intake.store` does); returns once its row is committed."""
        item = _Pending(post, now)
        with self._cond:
            self._queue.append(item)
        while True:
            with self._cond:
                while not item.done and (self._leading >= LEADERS or item not in self._queue):
                    self._cond.wait()
                if item.done:
                    return item.outcome()
                self._leading += 1
            batch: list[_Pending] = []
            try:
                with self.db.writer_turn():
                    with self._cond:
                        batch = self._queue[: self.max_batch]
                        del self._queue[: self.max_batch]
                    self._run(batch)
            finally:
                with self._cond:
                    for pending in batch:
                        if pending.result is None and pending.error is None:
                            # `_run` itself was interrupted (a BaseException): no answer
                            # but an error, never a 202 for a row that may not be there.
                            pending.error = RuntimeError("group commit interrupted")
                        pending.done = True
                    self._leading -= 1
                    self._cond.notify_all()

    def _run(self, batch: list[_Pending]) -> None:
        """The batch in one transaction without savepoints (two round trips a post fewer),
        its look-ups read before it (`bot.fresh`); if any post fails, that transaction is
        rolled back and the batch is done again with a SAVEPOINT per post and every
        look-up inside, so the failure stays with its post. Run in the process's turn to
        write: a batch taken before it was measured to hold 3.8 posts on average under
        16 clients, one taken after it 7.3, and a post in a batch of four costs 1.4x one
        in a batch of eight (`bench.ingest` SQLite: 166-170 -> 261 posts/s)."""
        metrics.INGEST_BATCH.observe(len(batch))
        try:
            # Only SQLite has a write lock to keep the look-ups out of; on PostgreSQL
            # they are read in the transaction (a read before it is a checkout more).
            incoming = [p.post for p in batch]
            fresh = look_up(self.db, incoming) if self.db.is_sqlite else None
            with self.db.session() as session:
                rows.batch(session)
                posts = [(p.post, p.now) for p in batch]
                if fresh is None:
                    fresh = look_up_in(session, incoming)
                results = intake.receive_all(session, posts, config=self.config, fresh=fresh)
        except Exception:
            log.debug("ingest.group_commit_retried", extra={"posts": len(batch)})
        else:
            for pending, result in zip(batch, results, strict=True):
                pending.result = result
            return
        try:
            with self.db.session() as session:
                rows.batch(session)
                for pending in batch:
                    self._one(session, pending)
        except Exception as exc:
            # The commit (or the transaction) failed: nothing in it is stored.
            for pending in batch:
                pending.result, pending.error = None, exc

    def _one(self, session: Session, pending: _Pending) -> None:
        for attempt in (1, 2):
            saved = _snapshot(session.info)
            try:
                with session.begin_nested():
                    pending.result = intake.receive(
                        session, pending.post, now=pending.now, config=self.config
                    )
                return
            except IntegrityError as exc:
                _restore(session.info, saved)
                pending.result = None
                if attempt == 2:
                    pending.error = exc
            except Exception as exc:
                _restore(session.info, saved)
                pending.result, pending.error = None, exc
                return


def _snapshot(info: dict[str, Any]) -> dict[str, Any]:
    """`session.info` holds per-unit-of-work state (effects' card-pending answers, the
    problem cards queued, counters to count at commit); a rolled-back savepoint must
    take its entries back."""
    return {k: v.copy() if isinstance(v, dict | list | set) else v for k, v in info.items()}


def _restore(info: dict[str, Any], saved: dict[str, Any]) -> None:
    info.clear()
    info.update(saved)
