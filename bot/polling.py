"""Pollers: the worker reads a source (a feed, a Mastodon account's mentions) on its own.

Each item goes through the same intake as `/ingest`, so `(source, id)` keeps it to one
post and one case however often it is read. What a poll may not do is skip or re-read:

- the state (`PollerState`: cursor, feed validators, health) is in the database, and
  a cursor moves in the same transaction as the post it names, so a worker killed
  mid-page resumes after the last item stored;
- a feed's `ETag`/`Last-Modified` are saved only after every entry of the response is
  stored, so a crash mid-feed reads the feed again (the stored entries answer as
  duplicates) rather than never;
- one worker at a time polls a source: a lease on its row, taken with a conditional
  UPDATE, released when the poll ends (or expired when the worker died).

Failures back off exponentially with jitter, per source; `bot.worker` runs each source
in its own thread with a bounded request, so a failing source never delays another.
The fetching itself (HTTP, formats) is the channel modules' (`handlers.channels.polling`).
"""

from __future__ import annotations

import logging
import random
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from sqlmodel import Session

from bot import intake
from bot.posts import IncomingPost
from bot.timesource import TimeSource
from config.connectors import FeedPoll, MastodonPoll
from config.schema import CasebotConfig
from storage import pollers, queries
from storage.db import Database, is_unavailable

log = logging.getLogger("casebot.pollers")

MAX_PAGES = 5
"""Pages one poll reads before it lets the source's next poll (due at once) go on."""
MAX_BACKOFF = timedelta(hours=1)
LEASE_MARGIN = timedelta(seconds=30)


@dataclass(frozen=True)
class Seen:
    """Where the source's last poll left off."""

    cursor: str | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Item:
    """One item read; `post` None: nothing a case is made of (another kind of
    notification, an unreadable entry), passed over but still moving the cursor."""

    post: IncomingPost | None
    cursor: str | None = None


@dataclass(frozen=True)
class Page:
    items: list[Item] = field(default_factory=list)
    """Oldest first: the cursor only ever moves forward."""
    etag: str | None = None
    last_modified: str | None = None
    """The validators to send next time (on a 304, the ones sent)."""
    more: bool = False
    """Another page follows right away (the source had more than one page of news)."""


class PollFailed(Exception):
    """A poll that got nothing usable; the message is safe to log and to show in
    `/healthz` (a status, never a token, a URL's query or a post's text)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Fetcher(Protocol):
    def fetch(self, seen: Seen) -> Page:
        """One request; raises `PollFailed`."""
        ...


Poll = FeedPoll | MastodonPoll


@dataclass(frozen=True)
class Outcome:
    polled: bool
    stored: int = 0
    duplicates: int = 0
    error: str | None = None


def backoff(every: timedelta, failures: int, rng: random.Random) -> timedelta:
    """The wait after the `failures`-th failure in a row: the interval doubled per
    failure, capped at an hour (or the interval, if longer), with "equal jitter" (half
    fixed, half random) so sources that failed together do not retry together."""
    cap = max(MAX_BACKOFF, every)
    base = min(cap, every * 2 ** min(failures, 16))
    return base / 2 + base / 2 * rng.random()


@dataclass
class Poller:
    """One configured source's poller, run by the worker every tick."""

    db: Database
    config: CasebotConfig
    time: TimeSource
    source: str
    poll: Poll
    fetcher: Fetcher
    owner: str
    rng: random.Random = field(default_factory=random.Random)
    monotonic: Callable[[], float] = time.monotonic

    _ensured: bool = field(default=False, init=False)

    def tick(self) -> None:
        """The worker's periodic call: creates the source's row once, then polls when due."""
        if not self._ensured:
            self.ensure()
            self._ensured = True
        self.run()

    def ensure(self) -> None:
        with self.db.session() as session:
            pollers.ensure(
                session,
                source=self.source,
                kind=self.poll.kind,
                target=self.poll.target,
                now=self.time.now(),
            )

    def run(self) -> Outcome:
        """Poll once if the source is due and free; store what is new."""
        now = self.time.now()
        with self.db.read() as session:
            if not pollers.due(session, source=self.source, now=now):
                return Outcome(polled=False)
        hold = timedelta(seconds=self.poll.timeout_seconds * MAX_PAGES) + LEASE_MARGIN
        with self.db.session() as session:
            state = pollers.lease(
                session, source=self.source, owner=self.owner, now=now, until=now + hold
            )
            if state is None:
                return Outcome(polled=False)
            seen = Seen(state.cursor, state.etag, state.last_modified)
            failures = state.failures
        started = self.monotonic()
        try:
            stored, duplicates, seen, more = self._pages(seen)
        except PollFailed as exc:
            return self._failed(str(exc), failures, exc.retry_after)
        except LeaseLost:
            log.warning("poll.lease_lost", extra={"source": self.source})
            return Outcome(polled=True, error="lease lost")
        except Exception as exc:
            if is_unavailable(exc):
                raise  # the database: the worker's job guard reports it; the lease expires
            return self._crashed(exc, failures)
        done = self.time.now()
        with self.db.session() as session:
            pollers.succeeded(
                session,
                source=self.source,
                owner=self.owner,
                now=done,
                next_at=done if more else done + self.poll.every,
                etag=seen.etag,
                last_modified=seen.last_modified,
                items=stored,
            )
        log.info(
            "poll.done",
            extra={
                "source": self.source,
                "stored": stored,
                "duplicates": duplicates,
                "ms": round((self.monotonic() - started) * 1000, 1),
            },
        )
        return Outcome(polled=True, stored=stored, duplicates=duplicates)

    def _pages(self, seen: Seen) -> tuple[int, int, Seen, bool]:
        stored = duplicates = 0
        for _ in range(MAX_PAGES):
            page = self.fetcher.fetch(seen)
            cursor = seen.cursor
            known = self._known(page)
            for item in page.items:
                if item.cursor is None and item.post and item.post.external_id in known:
                    duplicates += 1  # a feed read again: nothing to write
                    continue
                new = self._store(item)
                cursor = item.cursor or cursor
                if new is True:
                    stored += 1
                elif new is False:
                    duplicates += 1
            seen = Seen(cursor, page.etag, page.last_modified)
            if not page.more:
                return stored, duplicates, seen, False
        return stored, duplicates, seen, True

    def _known(self, page: Page) -> set[str]:
        """The page's posts stored already, read at once: a feed is mostly entries seen
        before, and each would otherwise cost a write transaction to learn so."""
        ids = [i.post.external_id for i in page.items if i.post is not None]
        with self.db.read() as session:
            return queries.stored_ids(session, source=self.source, external_ids=ids)

    def _store(self, item: Item) -> bool | None:
        """Store one item and move the cursor past it in one transaction; whether the
        post was new (None: there was no post)."""
        cursor = item.cursor

        def advance(session: Session) -> None:
            if cursor is not None and not pollers.advance(
                session, source=self.source, owner=self.owner, cursor=cursor
            ):
                raise LeaseLost

        if item.post is None:
            if cursor is not None:
                with self.db.session() as session:
                    advance(session)
            return None
        received = intake.store(
            self.db, item.post, now=self.time.now(), config=self.config, also=advance
        )
        return not received.duplicate

    def _crashed(self, exc: Exception, failures: int) -> Outcome:
        """A bug met on the way (a parser failing on a body it should have refused): the
        source backs off like on any error. Logged by type and place only, since an
        exception's message may quote the body it choked on."""
        frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        where = f"{Path(frame.filename).name}:{frame.lineno}" if frame else "?"
        log.error(
            "poll.crashed",
            extra={"source": self.source, "exception": type(exc).__name__, "at": where},
        )
        return self._failed(f"unexpected {type(exc).__name__}", failures, None)

    def _failed(self, error: str, failures: int, retry_after: float | None) -> Outcome:
        now = self.time.now()
        wait = backoff(self.poll.every, failures, self.rng)
        if retry_after is not None:
            wait = max(wait, timedelta(seconds=min(retry_after, MAX_BACKOFF.total_seconds())))
        with self.db.session() as session:
            pollers.failed(
                session,
                source=self.source,
                owner=self.owner,
                now=now,
                next_at=now + wait,
                error=error,
            )
        log.warning(
            "poll.failed",
            extra={
                "source": self.source,
                "error": error,
                "failures": failures + 1,
                "retry_in_s": round(wait.total_seconds()),
            },
        )
        return Outcome(polled=True, error=error)


class LeaseLost(Exception):
    """Another worker took the source over (this one's lease ran out): stop at once."""


def health(session: Session, config: CasebotConfig) -> list[dict[str, object]]:
    """Each configured poller as `/healthz` names it: its last success and last error.

    `ok` is false while the latest poll failed; a poller the worker has not run yet says
    so (`never polled`). A failing source does not make `/healthz` fail: the web side is
    healthy, one remote is not."""
    states = pollers.all_states(session)
    out: list[dict[str, object]] = []
    for name, source in config.sources.items():
        if source.poll is None:
            continue
        row = states.get(name)
        if row is None or row.target != source.poll.target:
            out.append(
                {"source": name, "kind": source.poll.kind, "ok": None, "state": "never polled"}
            )
            continue
        failing = row.last_error_at is not None and (
            row.last_success_at is None or row.last_error_at > row.last_success_at
        )
        out.append(
            {
                "source": name,
                "kind": row.kind,
                "ok": not failing if (row.last_success_at or row.last_error_at) else None,
                "last_success_at": _iso(row.last_success_at),
                "last_error_at": _iso(row.last_error_at),
                "last_error": row.last_error,
                "failures_in_a_row": row.failures,
                "next_poll_at": _iso(row.next_poll_at),
                "last_items": row.last_items,
            }
        )
    return out


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None
