"""What a look-up for a whole batch found new, so intake skips its own per post.

On SQLite every statement of a transaction runs under the one write lock; the two
look-ups a post starts with (is it stored already, is its author known) need no lock.
Read for a whole batch beforehand (a WAL read: it neither waits for the writer nor
holds anything), they are two queries a source per batch outside the lock instead of
two a post inside it. PostgreSQL has no such lock: there the same two queries are read
inside the transaction, and save round trips.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from bot.posts import IncomingPost
from storage import queries
from storage.db import Database


@dataclass
class Fresh:
    """What a look-up before the transaction found absent: posts not stored yet and
    authors without a handle, as `(source, id)`. `receive` skips its own look-up for
    them, once each (a second copy of a post or a second post of an author in the same
    transaction looks again, and finds the first). Absent then is not proof of absent
    now (another process may have stored one since): the unique constraints on posts
    and handles catch that, and the caller retries with look-ups."""

    posts: set[tuple[str, str]] = field(default_factory=set)
    authors: set[tuple[str, str]] = field(default_factory=set)

    def take_post(self, post: IncomingPost) -> bool:
        return _take(self.posts, (post.source, post.external_id))

    def take_author(self, post: IncomingPost) -> bool:
        return _take(self.authors, (post.source, post.author.id))


def _take(found: set[tuple[str, str]], key: tuple[str, str]) -> bool:
    """Whether `key` was found absent, once: a second asking looks again."""
    if key in found:
        found.discard(key)
        return True
    return False


def look_up(db: Database, posts: list[IncomingPost]) -> Fresh:
    """Which posts and authors are new, read outside the write transaction (on SQLite a
    WAL read, which does not wait for the write lock and holds nothing)."""
    with db.read() as session:
        return look_up_in(session, posts)


def look_up_in(session: Session, posts: list[IncomingPost]) -> Fresh:
    """Which posts and authors are new: two queries a source for a whole batch instead
    of two a post. On PostgreSQL read inside the write transaction (a read before it
    would be a connection checkout more), where they save round trips, not lock time."""
    fresh = Fresh()
    for source in sorted({p.source for p in posts}):
        mine = [p for p in posts if p.source == source]
        ids = sorted({p.external_id for p in mine})
        stored = queries.stored_ids(session, source=source, external_ids=ids)
        fresh.posts |= {(source, i) for i in ids if i not in stored}
        authors = sorted({p.author.id for p in mine})
        known = queries.known_identities(session, source=source, external_ids=authors)
        fresh.authors |= {(source, a) for a in authors if a not in known}
    return fresh
