"""Holds: which department had a case, from when until when (see `Hold`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, literal, update
from sqlmodel import Session, col, select

from storage import rows, summary
from storage.models import Case, Hold, SlaClock

OLA_PREFIX = "ola:"
"""As `bot.sla.OLA_PREFIX`: an OLA clock is named after its department."""


def begin(session: Session, *, case_id: int, department: str, arrived: str, at: datetime) -> None:
    rows.add(session, Hold, case_id=case_id, department=department, arrived=arrived, started_at=at)


def end(session: Session, *, case_id: int, at: datetime) -> None:
    """End the case's open hold, if any, and ask the sweep to settle it."""
    session.flush()
    rows.write(session)
    session.execute(
        update(Hold)
        .where(col(Hold.case_id) == case_id, col(Hold.ended_at).is_(None))
        .values(ended_at=at, settle_at=at)
    )


def due(session: Session, *, now: datetime, limit: int) -> list[Hold]:
    """Ended holds not yet settled, oldest first; PostgreSQL skips rows another holds."""
    stmt = (
        select(Hold)
        .where(col(Hold.settle_at).is_not(None), col(Hold.settle_at) <= now)
        .order_by(col(Hold.settle_at))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.exec(stmt))


@dataclass(frozen=True)
class DepartmentHolds:
    """One department's holds of escalated cases in a window (times in microseconds)."""

    department: str
    holds: int
    median_us: float | None
    p90_us: int | None
    met: int
    decided: int


def by_department(
    session: Session, *, since: datetime, until: datetime, department: str | None, now: datetime
) -> list[DepartmentHolds]:
    """Per department, the settled holds that ended in the window, of cases escalated at
    least once: how many, median and p90 held, and OLA compliance — met within budget,
    out of those judged, plus holds still open whose OLA clock is past its deadline."""
    ended = [
        col(Hold.ended_at) >= since,
        col(Hold.ended_at) <= until,
        col(Hold.held_us).is_not(None),
        col(Case.escalations) > 0,
    ]
    if department:
        ended.append(col(Hold.department) == department)
    joined = select(Hold.department, Hold.held_us).join(Case, col(Case.id) == col(Hold.case_id))
    times = summary.grouped_quantiles(session, joined.where(*ended))
    judged = col(Hold.budget_us).is_not(None)
    met = summary.count_if(and_(judged, col(Hold.held_us) <= col(Hold.budget_us)))
    stmt = (
        select(Hold.department, met, summary.count_if(judged))
        .join(Case, col(Case.id) == col(Hold.case_id))
        .where(*ended)
        .group_by(Hold.department)
    )
    compliance = {d: (int(m), int(n)) for d, m, n in session.execute(stmt)}
    for dept, late in _open_and_late(session, department=department, now=now).items():
        m, n = compliance.get(dept, (0, 0))
        compliance[dept] = (m, n + late)
    out = []
    for dept in sorted(set(times) | set(compliance)):
        q = times.get(dept, summary.Quantiles(0, None, None))
        m, n = compliance.get(dept, (0, 0))
        out.append(DepartmentHolds(dept, q.count, q.median_us, q.p90_us, m, n))
    return out


def _open_and_late(session: Session, *, department: str | None, now: datetime) -> dict[str, int]:
    """Open holds that arrived by escalation whose OLA clock ran past its deadline."""
    clock_name = literal(OLA_PREFIX) + col(Hold.department)
    stmt = (
        select(Hold.department, func.count())
        .join(
            SlaClock,
            and_(
                col(SlaClock.case_id) == col(Hold.case_id),
                col(SlaClock.name) == clock_name,
                col(SlaClock.stopped_at).is_(None),
            ),
        )
        .where(
            col(Hold.ended_at).is_(None),
            col(Hold.arrived) == "escalated",
            col(SlaClock.due_at) <= now,
        )
        .group_by(Hold.department)
    )
    if department:
        stmt = stmt.where(col(Hold.department) == department)
    return {str(d): int(n) for d, n in session.execute(stmt)}
