"""Read-only queries behind case lists, App Home and `/case show`, keyword-only.

Lists are worked oldest first within a priority: urgent before low, then the case that
has waited longest, with the id as a tie-break so pages never overlap or skip a case.
The scope names are the ones people type (`mine`, `open`, `unclaimed`, `breaching`).

Indexes used: `ix_cases_owner_id` (mine, unclaimed), `ix_cases_department_status`
(any scope with a department), `ix_events_case_id` and `ix_posts_case_id`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, case, exists, func
from sqlmodel import Session, col, select

from storage.models import Case, Customer, Event, Post, Reminder, SlaClock
from storage.types import ACTIVE_STATUSES, CaseStatus

PRIORITY_ORDER = ("urgent", "high", "normal", "low")
SCOPES = ("mine", "open", "unclaimed", "breaching")


def _breaching() -> tuple[list[ColumnElement[bool]], list[ColumnElement[Any]]]:
    """Cases at risk: a clock still running has already sent a warning or its breach.

    Oldest first (the nearest to any deadline). Cases waiting on the customer are left
    out because their clocks are paused.
    """
    warned = (
        exists()
        .where(col(Reminder.clock_id) == col(SlaClock.id))
        .where(col(SlaClock.case_id) == col(Case.id), col(SlaClock.stopped_at).is_(None))
    )
    filters = [col(Case.status) == CaseStatus.OPEN.value, warned]
    return filters, [col(Case.created_at), col(Case.id)]


def _priority_rank() -> ColumnElement[int]:
    """Urgent first; an unknown priority (from an older config) sorts last, not first."""
    ranks = {name: rank for rank, name in enumerate(PRIORITY_ORDER)}
    return case(ranks, value=col(Case.priority), else_=len(PRIORITY_ORDER))


def _scope(
    scope: str, user: str | None
) -> tuple[list[ColumnElement[bool]], list[ColumnElement[Any]]]:
    order: list[ColumnElement[Any]] = [_priority_rank(), col(Case.created_at), col(Case.id)]
    unresolved = col(Case.status).in_(ACTIVE_STATUSES)
    match scope:
        case "mine":
            if not user:
                raise ValueError("scope 'mine' needs a user")
            return [col(Case.owner_id) == user, unresolved], order
        case "open":
            return [unresolved], order
        case "unclaimed":
            return [col(Case.owner_id).is_(None), unresolved], order
        case "breaching":
            return _breaching()
    raise ValueError(f"unknown scope {scope!r}; expected one of {SCOPES}")


def _filters(scope: str, user: str | None, department: str | None) -> list[ColumnElement[bool]]:
    filters, _ = _scope(scope, user)
    if department is not None:
        filters.append(col(Case.department) == department)
    return filters


def find_cases(
    session: Session,
    *,
    scope: str,
    user: str | None = None,
    department: str | None = None,
    offset: int = 0,
    limit: int,
) -> list[Case]:
    """One page of the cases in `scope` (optionally one department), in working order."""
    _, order = _scope(scope, user)
    stmt = (
        select(Case)
        .where(*_filters(scope, user, department))
        .order_by(*order)
        .offset(max(offset, 0))
        .limit(max(limit, 0))
    )
    return list(session.exec(stmt))


def count_cases(
    session: Session, *, scope: str, user: str | None = None, department: str | None = None
) -> int:
    """How many cases `find_cases` pages through, for "page 2 of 7"."""
    stmt = select(func.count()).select_from(Case).where(*_filters(scope, user, department))
    return session.exec(stmt).one()


def busiest_department(session: Session) -> str | None:
    """The department with the most unclaimed open cases (by key on a tie), or None."""
    waiting = func.count(col(Case.id))
    stmt = (
        select(Case.department)
        .where(col(Case.owner_id).is_(None), col(Case.status).in_(ACTIVE_STATUSES))
        .group_by(col(Case.department))
        .order_by(waiting.desc(), col(Case.department))
        .limit(1)
    )
    return session.exec(stmt).first()


def customers_by_id(session: Session, *, ids: Collection[int]) -> dict[int, Customer]:
    """The customers of a page in one query, instead of one per case."""
    if not ids:
        return {}
    rows = session.exec(select(Customer).where(col(Customer.id).in_(list(ids))))
    return {row.id: row for row in rows if row.id is not None}


def first_posts(session: Session, *, case_ids: Sequence[int]) -> dict[int, Post]:
    """Each case's opening post (lowest id), for a page of cases in one query."""
    if not case_ids:
        return {}
    firsts = (
        select(func.min(col(Post.id)))
        .where(col(Post.case_id).in_(list(case_ids)))
        .group_by(col(Post.case_id))
    )
    rows = session.exec(select(Post).where(col(Post.id).in_(firsts)))
    return {row.case_id: row for row in rows if row.case_id is not None}


def case_events(session: Session, *, case_id: int) -> list[Event]:
    """A case's audit log in the order things happened (insertion order on a tie)."""
    stmt = select(Event).where(col(Event.case_id) == case_id).order_by(col(Event.at), col(Event.id))
    return list(session.exec(stmt))
