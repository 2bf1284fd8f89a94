"""Queries behind suggested merges and merging (`bot.merges`).

Every change that decides something is a conditional UPDATE on the case row (its
status still active, its suggestion still the one clicked), so of two people merging
and dismissing at once exactly one wins, as with claims.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, update
from sqlmodel import Session, col, select

from storage.merge_tables import MergeDismissal
from storage.models import Case, Post, Reminder, SlaClock
from storage.types import ACTIVE_STATUSES, CaseStatus


def pair(a: int, b: int) -> tuple[int, int]:
    """A pair of cases as stored: (lower id, higher id)."""
    return (a, b) if a < b else (b, a)


def candidate(
    session: Session, *, case_id: int, customer_id: int, source: str, since: datetime
) -> Case | None:
    """The newest other active case of the customer from another source, opened since
    `since`, not already dismissed with `case_id`: one query on `ix_cases_customer_id`."""
    low, high = col(MergeDismissal.low_id), col(MergeDismissal.high_id)
    me, them = col(Case.id), case_id
    dismissed = exists().where(
        ((low == me) & (high == them)) | ((low == them) & (high == me)),
    )
    return session.exec(
        select(Case)
        .where(
            Case.customer_id == customer_id,
            me != case_id,
            Case.source != source,
            col(Case.status).in_(ACTIVE_STATUSES),
            col(Case.created_at) >= since,
            ~dismissed,
        )
        .order_by(me.desc())
        .limit(1)
    ).first()


def _conditional(session: Session, case_id: int, where: list[Any], values: dict[str, Any]) -> bool:
    stmt = update(Case).where(col(Case.id) == case_id, *where).values(**values)
    result = session.execute(stmt.execution_options(synchronize_session=False))
    session.expire_all()
    return result.rowcount == 1  # type: ignore[attr-defined]


def _active() -> Any:
    return col(Case.status).in_(ACTIVE_STATUSES)


def mark_merged(
    session: Session, *, case_id: int, into: int, now: datetime, suggested: int | None
) -> bool:
    """Make the case a merged one, if it is still active (and, with `suggested`, still
    suggests that case: a dismissal that won keeps its suggestion's button from
    merging). Whether this caller won."""
    where = [_active()]
    if suggested is not None:
        where.append(col(Case.suggested_merge) == suggested)
    values = {
        "status": CaseStatus.MERGED.value,
        "merged_into": into,
        "suggested_merge": None,
        "updated_at": now,
    }
    return _conditional(session, case_id, where, values)


def keep_active(session: Session, *, case_id: int, now: datetime) -> bool:
    """Touch the case if it is still active: locks the row (PostgreSQL) for the rest
    of the transaction, so it cannot be merged away or resolved meanwhile."""
    return _conditional(session, case_id, [_active()], {"updated_at": now})


def clear_suggestion(session: Session, *, case_id: int, other: int, now: datetime) -> bool:
    """Drop the case's suggestion of `other`, if it is still active and suggests it."""
    where = [_active(), col(Case.suggested_merge) == other]
    return _conditional(session, case_id, where, {"suggested_merge": None, "updated_at": now})


def set_suggestion(session: Session, *, case_id: int, other: int) -> None:
    session.execute(
        update(Case)
        .where(col(Case.id) == case_id)
        .values(suggested_merge=other)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()


def dismiss(session: Session, *, a: int, b: int, actor: str, at: datetime) -> None:
    low, high = pair(a, b)
    session.add(MergeDismissal(low_id=low, high_id=high, actor=actor, at=at))
    session.flush()


def dismissed(session: Session, *, a: int, b: int) -> bool:
    low, high = pair(a, b)
    found = session.exec(
        select(MergeDismissal.id).where(
            MergeDismissal.low_id == low, MergeDismissal.high_id == high
        )
    ).first()
    return found is not None


def move_posts(session: Session, *, from_case: int, to_case: int) -> list[int]:
    """Move every post of one case to another; the ids of those moved, oldest first."""
    ids = list(
        session.exec(select(Post.id).where(Post.case_id == from_case).order_by(col(Post.id)))
    )
    session.execute(
        update(Post)
        .where(col(Post.case_id) == from_case)
        .values(case_id=to_case)
        .execution_options(synchronize_session=False)
    )
    return [i for i in ids if i is not None]


def drop_clocks(session: Session, *, case_id: int) -> None:
    """Delete a merged case's clocks and their reminder rows: what they measured goes
    on in the case it was merged into, and a merged case must count in no SLA figure."""
    clocks = select(SlaClock.id).where(SlaClock.case_id == case_id)
    session.execute(delete(Reminder).where(col(Reminder.clock_id).in_(clocks)))
    session.execute(delete(SlaClock).where(col(SlaClock.case_id) == case_id))


def posts_by_id(session: Session, *, ids: list[int]) -> list[Post]:
    if not ids:
        return []
    return list(session.exec(select(Post).where(col(Post.id).in_(ids)).order_by(col(Post.id))))
