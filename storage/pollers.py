"""Poller state rows (`PollerState`): created once per source, leased per poll.

Every change is a conditional UPDATE naming the lease owner, so a worker whose lease
ran out (it hung, the machine paused) can no longer move a cursor another worker now
owns: its transaction rolls back, the post with it, and the unique `(source, id)` of
posts keeps the item to one case whoever stores it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.worker_tables import PollerState


def ensure(session: Session, *, source: str, kind: str, target: str, now: datetime) -> None:
    """The source's row, created due now; a row for another target starts afresh."""
    row = session.get(PollerState, source)
    if row is None:
        try:
            with session.begin_nested():
                session.add(PollerState(source=source, kind=kind, target=target, next_poll_at=now))
        except IntegrityError:
            pass  # another worker created it first
        return
    if row.kind != kind or row.target != target:
        row.kind, row.target = kind, target
        row.cursor = row.etag = row.last_modified = None
        row.failures, row.next_poll_at = 0, now


def due(session: Session, *, source: str, now: datetime) -> bool:
    """Whether the source is due and free (read only: most ticks find it is not)."""
    row = session.get(PollerState, source)
    return (
        row is not None
        and row.next_poll_at <= now
        and (row.lease_until is None or row.lease_until < now)
    )


def lease(
    session: Session, *, source: str, owner: str, now: datetime, until: datetime
) -> PollerState | None:
    """Take the source for one poll if it is due and nobody holds it; None otherwise."""
    taken = session.execute(
        update(PollerState)
        .where(
            col(PollerState.source) == source,
            col(PollerState.next_poll_at) <= now,
            or_(col(PollerState.lease_until).is_(None), col(PollerState.lease_until) < now),
        )
        .values(lease_owner=owner, lease_until=until)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return None
    session.expire_all()
    return session.get(PollerState, source)


def _owned(session: Session, source: str, owner: str, **values: Any) -> bool:
    done = session.execute(
        update(PollerState)
        .where(col(PollerState.source) == source, col(PollerState.lease_owner) == owner)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return done.rowcount == 1  # type: ignore[attr-defined]


def advance(session: Session, *, source: str, owner: str, cursor: str) -> bool:
    """Move the cursor past an item stored in this same transaction; False: lease lost."""
    return _owned(session, source, owner, cursor=cursor)


def succeeded(
    session: Session,
    *,
    source: str,
    owner: str,
    now: datetime,
    next_at: datetime,
    etag: str | None,
    last_modified: str | None,
    items: int,
) -> bool:
    return _owned(
        session,
        source,
        owner,
        etag=etag,
        last_modified=last_modified,
        failures=0,
        last_success_at=now,
        last_items=items,
        next_poll_at=next_at,
        lease_owner=None,
        lease_until=None,
    )


def failed(
    session: Session, *, source: str, owner: str, now: datetime, next_at: datetime, error: str
) -> bool:
    return _owned(
        session,
        source,
        owner,
        failures=col(PollerState.failures) + 1,
        last_error_at=now,
        last_error=error[:500],
        next_poll_at=next_at,
        lease_owner=None,
        lease_until=None,
    )


def all_states(session: Session) -> dict[str, PollerState]:
    return {row.source: row for row in session.exec(select(PollerState))}
