"""SLA clock rows: start, stop, and the sweep's due-work query."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from storage import rows
from storage.models import SlaClock


def start(session: Session, *, case_id: int, name: str, at: datetime, first: bool = False) -> None:
    """A new run of the named clock; runs are numbered so each has its own reminders.
    `first` skips looking up earlier runs (a case that was just opened has none)."""
    last = None
    if not first:
        rows.write(session)
        last = session.exec(
            select(func.max(SlaClock.run)).where(SlaClock.case_id == case_id, SlaClock.name == name)
        ).one()
    run = (last or 0) + 1
    rows.add(session, SlaClock, case_id=case_id, name=name, run=run, started_at=at, next_due_at=at)


def stop(session: Session, *, case_id: int, names: Sequence[str] | None, at: datetime) -> None:
    """Stop running clocks (all of them when `names` is None); the sweep settles their
    deadline once more, as of the stop (see `SlaClock.due_at`)."""
    rows.write(session)
    stmt = update(SlaClock).where(
        col(SlaClock.case_id) == case_id, col(SlaClock.stopped_at).is_(None)
    )
    if names is not None:
        stmt = stmt.where(col(SlaClock.name).in_(names))
    session.execute(stmt.values(stopped_at=at, next_due_at=at))


def touch(session: Session, *, case_id: int, at: datetime) -> None:
    """Ask the sweep to look at the case's running clocks again (pause, resume, snooze)."""
    rows.write(session)
    session.execute(
        update(SlaClock)
        .where(col(SlaClock.case_id) == case_id, col(SlaClock.stopped_at).is_(None))
        .values(next_due_at=at)
    )


def running(session: Session, *, case_id: int, name: str) -> bool:
    rows.write(session)
    return (
        session.exec(
            select(SlaClock.id).where(
                SlaClock.case_id == case_id,
                SlaClock.name == name,
                col(SlaClock.stopped_at).is_(None),
            )
        ).first()
        is not None
    )


def for_case(session: Session, *, case_id: int, running_only: bool) -> list[SlaClock]:
    stmt = select(SlaClock).where(SlaClock.case_id == case_id)
    if running_only:
        stmt = stmt.where(col(SlaClock.stopped_at).is_(None))
    return list(session.exec(stmt.order_by(col(SlaClock.id))))


def running_for_cases(session: Session, *, case_ids: Sequence[int]) -> dict[int, list[SlaClock]]:
    """Running clocks of many cases in one query (lists must not cost a query per line)."""
    out: dict[int, list[SlaClock]] = {cid: [] for cid in case_ids}
    if not case_ids:
        return out
    rows = session.exec(
        select(SlaClock)
        .where(col(SlaClock.case_id).in_(case_ids), col(SlaClock.stopped_at).is_(None))
        .order_by(col(SlaClock.id))
    )
    for row in rows:
        out[row.case_id].append(row)
    return out


def claim_due(session: Session, *, now: datetime, limit: int) -> list[SlaClock]:
    """Clocks whose next instant has come, oldest first. On PostgreSQL a concurrent sweep
    skips rows another holds; on SQLite the sweep's transaction is the single writer."""
    stmt = (
        select(SlaClock)
        .where(col(SlaClock.next_due_at).is_not(None), col(SlaClock.next_due_at) <= now)
        .order_by(col(SlaClock.next_due_at))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.exec(stmt))
