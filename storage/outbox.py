"""The outbox table as a work queue shared by any number of workers.

A row is leased (not deleted) while being delivered; a worker that dies mid-send
leaves a lease that expires, and the next worker retries the row. Every claim bumps the
row's `lease_token`; renewing the lease and recording the outcome are conditional on
it, so a worker that lost its lease (paused, partitioned, slower than the lease) can
neither extend it nor overwrite what the new holder does. Rows of one case go out in
order: a row waits while an older row of the same case is still pending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, bindparam, exists, func, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from storage import rows
from storage.models import Outbox

LEASE = timedelta(seconds=20)
"""Longer than the worst single call a deliverer makes (the worker's Slack client: a
10 s timeout and at most two in-call 429 waits of ≤ 2 s), and renewed while it works;
a dead worker's rows wait this long before another takes them over."""


@dataclass(frozen=True)
class Claimed:
    """One leased row as its deliverer sees it; `token` is this lease's fencing token,
    `post_started_at` when an earlier attempt began a call that may have posted."""

    id: int
    key: str
    kind: str
    case_id: int | None
    payload: dict[str, Any]
    attempt: int
    token: int = 0
    created_at: datetime | None = None
    post_started_at: datetime | None = None


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
    rows.add(
        session,
        Outbox,
        key=key,
        kind=kind,
        case_id=case_id,
        payload=payload or {},
        created_at=now,
        next_attempt_at=max(now, not_before) if not_before else now,
    )


def waiting_with_prefix(session: Session, *, kind: str, prefix: str) -> bool:
    """Whether a row of this kind whose key starts with `prefix` waits undelivered and
    unstarted (like `cases_with_pending`, for rows that are not about one case)."""
    rows.write(session)
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
    rows.write(session)
    stmt = select(Outbox.case_id).where(
        Outbox.kind == kind,
        col(Outbox.case_id).in_(case_ids),
        Outbox.status == "pending",
        col(Outbox.lease_until).is_(None),
    )
    return {cid for cid in session.exec(stmt) if cid is not None}


def claim_due(
    session: Session,
    *,
    now: datetime,
    limit: int,
    unordered: tuple[str, ...] = (),
    lease: timedelta = LEASE,
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
        row.lease_until = now + lease
        row.attempts += 1
        row.lease_token += 1
        claimed.append(
            Claimed(
                row.id or 0,
                row.key,
                row.kind,
                row.case_id,
                dict(row.payload),
                row.attempts,
                row.lease_token,
                row.created_at,
                row.post_started_at,
            )
        )
    return claimed


def _held(row_id: int | BindParameter[int], token: int | BindParameter[int]) -> Any:
    """The row, while the lease `token` is still the current one (values, or parameters
    bound per row for an executemany)."""
    return update(Outbox).where(
        col(Outbox.id) == row_id, col(Outbox.lease_token) == token, Outbox.status == "pending"
    )


def renew(
    session: Session,
    *,
    row_id: int,
    token: int,
    until: datetime,
    post_started_at: datetime | None = None,
) -> bool:
    """Extend the lease to `until` (and, with `post_started_at`, record that a post is
    about to begin); False when the lease is no longer this holder's."""
    values: dict[str, Any] = {"lease_until": until}
    if post_started_at is not None:
        values["post_started_at"] = post_started_at
    return _changed(session.execute(_held(row_id, token).values(**values)))


def _changed(result: Any) -> bool:
    return bool(result.rowcount == 1)


def set_payload(session: Session, *, key: str, payload: dict[str, Any]) -> None:
    """Replace a row's payload (what a deliverer must keep the same across its attempts)."""
    session.execute(update(Outbox).where(col(Outbox.key) == key).values(payload=payload))


def mark_sent(
    session: Session, *, row_id: int, token: int, now: datetime, result: dict[str, Any]
) -> bool:
    """False (nothing written) when another worker holds the row now."""
    values = {"status": "sent", "sent_at": now, "lease_until": None, "result": result}
    return _changed(session.execute(_held(row_id, token).values(**values, last_error=None)))


def mark_retry(
    session: Session,
    *,
    row_id: int,
    token: int,
    at: datetime,
    error: str,
    post_started_at: datetime | bool | None = True,
) -> bool:
    """Try again at `at`. `post_started_at` True keeps what the row says (a post may have
    begun); a datetime or None puts it back to that value, for an attempt whose post is
    known not to have happened (Slack refused it)."""
    values: dict[str, Any] = {"next_attempt_at": at, "lease_until": None, "last_error": error}
    if post_started_at is not True:
        values["post_started_at"] = post_started_at
    return _changed(session.execute(_held(row_id, token).values(**values)))


_DEFER = _held(bindparam("row_id"), bindparam("token")).values(
    next_attempt_at=bindparam("at"), lease_until=None, attempts=Outbox.attempts - 1
)
"""Executed on the connection, not the session: the ORM takes an UPDATE given many rows'
values as a bulk update by primary key, which allows no other criteria (here, that the
lease is still this one)."""


def defer_all(session: Session, deferred: list[tuple[int, int, datetime]]) -> None:
    """Put each `(row_id, token, at)` back until `at` without counting the attempt:
    nothing was tried (a pacer had no room, or a lookup must wait for Slack to index a
    message). One statement, executed for every row: a storm's round defers dozens."""
    if not deferred:
        return
    session.connection().execute(
        _DEFER, [{"row_id": row_id, "token": token, "at": at} for row_id, token, at in deferred]
    )


def mark_failed(session: Session, *, row_id: int, token: int, error: str) -> bool:
    values = {"status": "failed", "lease_until": None, "last_error": error}
    return _changed(session.execute(_held(row_id, token).values(**values)))


def newest(session: Session) -> int:
    """The newest row's id (0 for an empty outbox): it changes whenever a row is queued,
    which is what the worker watches for (`bot.outbox.watch`)."""
    return session.exec(select(func.max(Outbox.id))).one() or 0


def backlog(session: Session) -> dict[str, int]:
    """Counts by status, for health checks and the demo."""
    rows = session.exec(select(Outbox.status, func.count()).group_by(Outbox.status))
    return {status: n for status, n in rows}
