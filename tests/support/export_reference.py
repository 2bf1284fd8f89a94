"""The case export as it was before the database formatted it (an object per row, its
datetimes parsed and formatted in Python): the reference `storage.export` must equal,
cell for cell."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import String, cast, func, select
from sqlmodel import Session, col

from bot.ids import format_case_id
from bot.problems.ids import format_problem_id
from storage.models import Case, Hold, Post, Reminder, SlaClock
from storage.summary import Scope, created_in, is_postgres, micros

CHUNK = 2000


class CaseRow(NamedTuple):
    """A tuple, not an object per row: the export spends its time per row."""

    case_id: int
    sources: list[str]
    departments: list[str]
    owner: str | None
    priority: str
    answered: str | None
    opened: datetime
    first_response: datetime | None
    first_response_us: int | None
    resolved: datetime | None
    resolution_us: int | None
    breaches: list[str]
    root_cause: str | None
    problem_id: int | None


def _joined(session: Session, value: Any) -> Any:
    """All values of a correlated subquery as one text (order restored in Python)."""
    if is_postgres(session):
        return func.string_agg(cast(value, String), " ")
    return func.group_concat(value, " ")


def count(session: Session, scope: Scope) -> int:
    return int(session.execute(select(func.count()).where(*created_in(scope))).scalar_one())


def case_rows(session: Session, scope: Scope) -> Iterator[CaseRow]:
    """The cases opened in the window, oldest first."""
    sources = (
        select(_joined(session, Post.source))
        .where(col(Post.case_id) == col(Case.id))
        .scalar_subquery()
    )
    ordered = cast(Hold.id, String) + ":" + col(Hold.department)
    departments = (
        select(_joined(session, ordered)).where(col(Hold.case_id) == col(Case.id)).scalar_subquery()
    )
    breaches = (
        select(_joined(session, SlaClock.name))
        .select_from(Reminder)
        .join(SlaClock, col(SlaClock.id) == col(Reminder.clock_id))
        .where(col(Reminder.case_id) == col(Case.id), Reminder.threshold == "breach")
        .scalar_subquery()
    )
    stmt = (
        select(
            Case.id,
            sources,
            departments,
            Case.owner_id,
            Case.priority,
            Case.answered,
            Case.created_at,
            Case.first_response_at,
            micros(session, Case.created_at, Case.first_response_at),
            Case.resolved_at,
            micros(session, Case.created_at, Case.resolved_at),
            breaches,
            Case.root_cause,
            Case.problem_id,
        )
        .where(*created_in(scope))
        .order_by(col(Case.created_at), col(Case.id))
        .execution_options(yield_per=CHUNK)
    )
    # Core rows through the session's connection: the ORM's per-row bookkeeping would
    # cost more than the query.
    for row in session.connection().execute(stmt):
        yield CaseRow(
            row[0],
            sorted(set(row[1].split())) if row[1] else [],
            _in_order(row[2]),
            row[3],
            row[4],
            row[5],
            row[6],
            row[7],
            row[8],
            row[9],
            row[10],
            sorted(set(row[11].split())) if row[11] else [],
            row[12],
            row[13],
        )


def _in_order(text: str | None) -> list[str]:
    """`"12:support 15:billing"` → departments by hold id (each hold once)."""
    if not text:
        return []
    pairs = (item.split(":", 1) for item in text.split())
    return [dept for _, dept in sorted((int(i), d) for i, d in pairs)]


def case_row(row: CaseRow) -> tuple[Any, ...]:
    """The values of `CASE_COLUMNS`, in order."""
    fr_us, res_us = row.first_response_us, row.resolution_us
    return (
        format_case_id(row.case_id),
        " ".join(row.sources) or None,
        " ".join(row.departments) or None,
        row.owner,
        row.priority,
        row.answered,
        row.opened.isoformat(),
        row.first_response.isoformat() if row.first_response else None,
        None if fr_us is None else fr_us / 1_000_000,
        row.resolved.isoformat() if row.resolved else None,
        None if res_us is None else res_us / 1_000_000,
        " ".join(row.breaches) or None,
        row.root_cause,
        format_problem_id(row.problem_id) if row.problem_id else None,
    )
