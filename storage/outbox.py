"""The outbox table as a work queue shared by any number of workers.

A row is leased (not deleted) while being delivered; a worker that dies mid-send
leaves a lease that expires, and the next worker retries the row. Rows of one case
go out in order: a row waits while an older row of the same case is still pending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from storage.models import Outbox

LEASE = timedelta(seconds=60)


@dataclass(frozen=True)
class Claimed:
    id: int
    key: str
    kind: str
    case_id: int | None
    payload: dict[str, Any]
    attempt: int


def enqueue(
    session: Session,
    *,
    kind: str,
    key: str,
    now: datetime,
    case_id: int | None = None,
    payload: dict[str, Any] | None = None,
    not_before: datetime | None = None,
) -> None:
    """`not_before`: due no earlier than this (pacing a message edited in place)."""
    session.add(
        Outbox(
            key=key,
            kind=kind,
            case_id=case_id,
            payload=payload or {},
            created_at=now,
            next_attempt_at=max(now, not_before) if not_before else now,
        )
    )


def waiting_with_prefix(session: Session, *, kind: str, prefix: str) -> bool:
    """Whether a row of this kind whose key starts with `prefix` waits undelivered and
    unstarted (like `cases_with_pending`, for rows that are not about one case)."""
    stmt = select(Outbox.id).where(
        Outbox.status == "pending",
        Outbox.kind == kind,
        col(Outbox.key).startswith(prefix, autoescape=True),
        col(Outbox.lease_until).is_(None),
    )
    return session.exec(stmt.limit(1)).first() is not None


def cases_with_pending(session: Session, *, kind: str, case_ids: list[int]) -> set[int]:
    """Which of the cases have an undelivered row of this kind that no worker has started
    (a card refresh not yet rendered covers later changes)."""
    if not case_ids:
        return set()
    stmt = select(Outbox.case_id).where(
        Outbox.kind == kind,
        col(Outbox.case_id).in_(case_ids),
        Outbox.status == "pending",
        col(Outbox.lease_until).is_(None),
    )
    return {cid for cid in session.exec(stmt) if cid is not None}


def claim_due(
    session: Session, *, now: datetime, limit: int, unordered: tuple[str, ...] = ()
) -> list[Claimed]:
    """Lease up to `limit` due rows. On PostgreSQL concurrent workers skip each other's
    locked rows; on SQLite the transaction already holds the single write lock.

    Rows of the `unordered` kinds (customer replies) neither wait for nor hold up the
    case's other rows: a customer channel's outage must not freeze the Slack card.
    """
    older = aliased(Outbox)
    blocked_by_older = exists().where(
        older.case_id == Outbox.case_id,
        older.id < Outbox.id,
        older.status == "pending",
        older.kind.not_in(unordered),
    )
    stmt = (
        select(Outbox)
        .where(
            Outbox.status == "pending",
            col(Outbox.next_attempt_at) <= now,
            or_(col(Outbox.lease_until).is_(None), col(Outbox.lease_until) < now),
            or_(
                col(Outbox.case_id).is_(None),
                col(Outbox.kind).in_(unordered),
                ~blocked_by_older,
            ),
        )
        .order_by(col(Outbox.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=Outbox)  # type: ignore[arg-type]
    rows = list(session.exec(stmt))
    claimed = []
    for row in rows:
        row.lease_until = now + LEASE
        row.attempts += 1
        claimed.append(
            Claimed(row.id or 0, row.key, row.kind, row.case_id, dict(row.payload), row.attempts)
        )
    return claimed


def set_payload(session: Session, *, key: str, payload: dict[str, Any]) -> None:
    """Replace a row's payload (what a deliverer must keep the same across its attempts)."""
    session.execute(update(Outbox).where(col(Outbox.key) == key).values(payload=payload))


def mark_sent(session: Session, *, row_id: int, now: datetime, result: dict[str, Any]) -> None:
    session.execute(
        update(Outbox)
        .where(col(Outbox.id) == row_id)
        .values(status="sent", sent_at=now, lease_until=None, result=result, last_error=None)
    )


def mark_retry(session: Session, *, row_id: int, at: datetime, error: str) -> None:
    values: dict[str, Any] = {"next_attempt_at": at, "lease_until": None, "last_error": error}
    session.execute(update(Outbox).where(col(Outbox.id) == row_id).values(**values))


def mark_failed(session: Session, *, row_id: int, error: str) -> None:
    session.execute(
        update(Outbox)
        .where(col(Outbox.id) == row_id)
        .values(status="failed", lease_until=None, last_error=error)
    )


def backlog(session: Session) -> dict[str, int]:
    """Counts by status, for health checks and the demo."""
    rows = session.exec(select(Outbox.status, func.count()).group_by(Outbox.status))
    return {status: n for status, n in rows}
