"""Reads behind `/case summary`, the report and the digests: every figure is one SQL
aggregate over indexed ranges (`cases.created_at`, `cases.resolved_at`, `reminders.at`),
so the cost grows with the rows in the window, never by loading them into Python, and
no query carries a list of ids (PostgreSQL takes at most 65,535 parameters).

Durations are whole microseconds computed in SQL (exact on both databases: SQLite keeps
datetimes as text with six fractional digits), and percentiles come from the database:
`percentile_cont`/`percentile_disc` on PostgreSQL, a `ROW_NUMBER()` ranking on SQLite,
both giving the median (the mean of the two middle values for an even count) and the
nearest-rank 90th percentile (the value at rank ⌈0.9·n⌉).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Select, and_, case, cast, func, literal, or_, text
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from storage.models import OPEN_CASES, Case, Reminder, SlaClock

NOT_NEEDED = "not_needed"
UNANSWERED = "unanswered"
ELSEWHERE = "elsewhere"
FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"


@dataclass(frozen=True)
class Scope:
    """A window of time and, optionally, one department."""

    since: datetime
    until: datetime
    department: str | None


@dataclass(frozen=True)
class Compliance:
    met: int
    decided: int


@dataclass(frozen=True)
class Quantiles:
    """Microseconds; the median may fall between two values (x.5)."""

    count: int
    median_us: float | None
    p90_us: int | None


@dataclass(frozen=True)
class Volume:
    new: int
    not_needed: int
    elsewhere: int
    unanswered: int


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def no_jit(session: Session) -> None:
    """Switch PostgreSQL's JIT off for the rest of the transaction. The summary's and
    the export's statements are estimated costly enough to be compiled, and compiling
    them took longer (seconds of CPU at a million cases) than running them."""
    if is_postgres(session):
        session.execute(text("SET LOCAL jit = off"))


def micros(session: Session, start: Any, end: Any) -> ColumnElement[int]:
    """`end - start` in whole microseconds, exactly, on either database."""
    if is_postgres(session):
        return cast(func.extract("epoch", end - start) * 1_000_000, BigInteger)
    whole = func.unixepoch(end) - func.unixepoch(start)
    frac = cast(func.substr(end, 21, 6), BigInteger) - cast(func.substr(start, 21, 6), BigInteger)
    return whole * 1_000_000 + frac


def created_in(scope: Scope) -> list[ColumnElement[bool]]:
    where = [col(Case.created_at) >= scope.since, col(Case.created_at) <= scope.until]
    if scope.department:
        where.append(col(Case.department) == scope.department)
    return where


def resolved_in(scope: Scope) -> list[ColumnElement[bool]]:
    where = [col(Case.resolved_at) >= scope.since, col(Case.resolved_at) <= scope.until]
    if scope.department:
        where.append(col(Case.department) == scope.department)
    return where


def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def opened(session: Session, scope: Scope, now: datetime) -> tuple[Volume, Compliance]:
    """The cases opened in the window, in one pass: how many, how those without a reply
    were closed, and which first responses are decided, and met.

    Met: answered (a reply, or "answered elsewhere" at the resolve) by the clock's
    deadline. Decided but not met: answered late, resolved without a reply and without
    a reason, or still unanswered past the deadline. "No reply needed" is left out.
    """
    fr = aliased(SlaClock)
    met, decided = _first_response_terms(fr, now)
    answered = col(Case.answered)
    stmt = (
        select(
            func.count(),
            count_if(answered == NOT_NEEDED),
            count_if(answered == ELSEWHERE),
            count_if(answered == UNANSWERED),
            count_if(and_(col(fr.id).is_not(None), met)),
            count_if(and_(col(fr.id).is_not(None), decided)),
        )
        .select_from(Case)
        .outerjoin(fr, and_(fr.case_id == Case.id, fr.name == FIRST_RESPONSE, fr.run == 1))
        .where(*created_in(scope))
    )
    row = [int(v) for v in session.execute(stmt).one()]
    return Volume(*row[:4]), Compliance(row[4], row[5])


def resolved_count(session: Session, scope: Scope) -> int:
    return int(session.execute(select(func.count()).where(*resolved_in(scope))).scalar_one())


def open_count(session: Session, department: str | None) -> int:
    stmt = select(func.count()).select_from(Case).where(text(OPEN_CASES))
    if department:
        stmt = stmt.where(col(Case.department) == department)
    return int(session.execute(stmt).scalar_one())


def backlog(
    session: Session, *, by: str, department: str | None, limit: int | None
) -> list[tuple[str | None, int]]:
    """Open cases per department or owner, largest first (ties: the earliest case)."""
    key = col(Case.department) if by == "department" else col(Case.owner_id)
    n = func.count().label("n")
    stmt = (
        select(key, n).where(text(OPEN_CASES)).group_by(key).order_by(n.desc(), func.min(Case.id))
    )
    if department:
        stmt = stmt.where(col(Case.department) == department)
    if limit:
        stmt = stmt.limit(limit)
    return [(k, int(c)) for k, c in session.execute(stmt)]


def breached_cases(session: Session, scope: Scope) -> int:
    """Cases that had a breach reminder in the window (each counted once)."""
    stmt = select(func.count(func.distinct(Reminder.case_id))).where(
        Reminder.threshold == "breach",
        col(Reminder.at) >= scope.since,
        col(Reminder.at) <= scope.until,
    )
    if scope.department:
        stmt = stmt.join(Case, col(Case.id) == col(Reminder.case_id)).where(
            col(Case.department) == scope.department
        )
    return int(session.execute(stmt).scalar_one())


def _first_response_terms(
    fr: Any, now: datetime
) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """(met, decided) for a case joined to its first-response clock `fr`."""
    answered_at, due = col(Case.first_response_at), col(fr.due_at)
    counted = or_(col(Case.answered).is_(None), col(Case.answered) != NOT_NEEDED)
    met = and_(counted, answered_at.is_not(None), or_(due.is_(None), answered_at <= due))
    decided = and_(
        counted,
        or_(answered_at.is_not(None), col(Case.answered) == UNANSWERED, due <= now),
    )
    return met, decided


def _with_first_clock(stmt: Select[Any], fr: Any) -> Select[Any]:
    return stmt.select_from(Case).join(
        fr, and_(fr.case_id == Case.id, fr.name == FIRST_RESPONSE, fr.run == 1)
    )


@dataclass(frozen=True)
class Daily:
    """Per day (index into the bounds): new cases per source, and first responses."""

    volume: dict[tuple[int, str], int]
    compliance: dict[int, Compliance]


def daily(
    session: Session, bounds: Sequence[datetime], departments: Sequence[str], now: datetime
) -> Daily:
    """Cases opened between consecutive `bounds` (the local midnights of a time zone,
    worked out by the caller), bucketed in SQL; `departments` empty means all."""
    opened = col(Case.created_at)
    day = case(*((opened < end, i) for i, end in enumerate(bounds[1:])), else_=-1).label("day")
    where = [opened >= bounds[0], opened < bounds[-1]]
    if departments:
        where.append(col(Case.department).in_(list(departments)))
    volume = session.execute(
        select(day, Case.source, func.count()).where(*where).group_by(day, Case.source)
    )
    fr = aliased(SlaClock)
    met, decided = _first_response_terms(fr, now)
    shares = session.execute(
        _with_first_clock(select(day, count_if(met), count_if(decided)), fr)
        .where(*where)
        .group_by(day)
    )
    return Daily(
        volume={(int(d), str(src)): int(n) for d, src, n in volume},
        compliance={int(d): Compliance(int(m), int(n)) for d, m, n in shares},
    )


def resolution_compliance(session: Session, scope: Scope, now: datetime) -> Compliance:
    """Every run of the resolution clock of the cases opened in the window: met when it
    stopped by its deadline; decided once stopped or past the deadline."""
    clock = aliased(SlaClock)
    stopped, due = col(clock.stopped_at), col(clock.due_at)
    met = and_(stopped.is_not(None), or_(due.is_(None), stopped <= due))
    decided = or_(stopped.is_not(None), due <= now)
    stmt = (
        select(count_if(met), count_if(decided))
        .select_from(Case)
        .join(clock, and_(clock.case_id == Case.id, clock.name == RESOLUTION))
        .where(*created_in(scope))
    )
    row = session.execute(stmt).one()
    return Compliance(int(row[0]), int(row[1]))


def grouped_quantiles(session: Session, values: Select[Any]) -> dict[Any, Quantiles]:
    """Median and nearest-rank p90 of `values` — a select of (group key, integer) — per
    key, computed in the database."""
    sub = values.subquery()
    key, value = sub.c[0], sub.c[1]
    if is_postgres(session):
        stmt = select(
            key,
            func.count(value),
            func.percentile_cont(0.5).within_group(value),
            func.percentile_disc(0.9).within_group(value),
        ).group_by(key)
        return {
            k: Quantiles(int(n), float(m) if m is not None else None, int(p) if p else p)
            for k, n, m, p in session.execute(stmt)
        }
    ranked = select(
        key.label("k"),
        value.label("v"),
        func.row_number().over(partition_by=key, order_by=value).label("rn"),
        func.count().over(partition_by=key).label("n"),
    ).subquery()
    rn, n, v = ranked.c.rn, ranked.c.n, ranked.c.v
    middle = or_(rn == (n + 1) // 2, rn == (n + 2) // 2)
    stmt = select(
        ranked.c.k,
        func.max(n),
        func.avg(case((middle, v))),
        func.max(case((rn == (n * 90 + 99) // 100, v))),
    ).group_by(ranked.c.k)
    return {
        k: Quantiles(int(c), float(m) if m is not None else None, int(p) if p is not None else p)
        for k, c, m, p in session.execute(stmt)
    }


def _single(session: Session, values: Select[Any]) -> Quantiles:
    found = grouped_quantiles(session, values)
    return next(iter(found.values()), Quantiles(0, None, None))


def first_response_times(session: Session, scope: Scope) -> Quantiles:
    """From opening to the first response, over the cases opened in the window."""
    values = select(
        literal(1).label("k"), micros(session, Case.created_at, Case.first_response_at)
    ).where(*created_in(scope), col(Case.first_response_at).is_not(None))
    return _single(session, values)


def resolution_times(session: Session, scope: Scope) -> Quantiles:
    """From opening to the resolve, over the cases resolved in the window."""
    values = select(
        literal(1).label("k"), micros(session, Case.created_at, Case.resolved_at)
    ).where(*resolved_in(scope))
    return _single(session, values)


def root_causes(session: Session, scope: Scope, *, limit: int) -> list[tuple[str, int]]:
    """The most frequent root causes of the cases resolved in the window."""
    n = func.count().label("n")
    stmt = (
        select(Case.root_cause, n)
        .where(*resolved_in(scope), col(Case.root_cause).is_not(None))
        .group_by(Case.root_cause)
        .order_by(n.desc(), func.min(Case.id))
        .limit(limit)
    )
    return [(str(tag), int(c)) for tag, c in session.execute(stmt)]


def root_cause_counts(session: Session, scope: Scope, tags: Sequence[str]) -> dict[str, int]:
    """How often each of a few tags was the root cause of a resolve in the window."""
    if not tags:
        return {}
    stmt = (
        select(Case.root_cause, func.count())
        .where(*resolved_in(scope), col(Case.root_cause).in_(list(tags)))
        .group_by(Case.root_cause)
    )
    return {str(tag): int(c) for tag, c in session.execute(stmt)}
