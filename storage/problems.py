"""The problem tables' queries: the window's case terms, problems and their cases.

Detection reads `case_terms` by `(term, at)` only, each term capped: what one new case
costs is bounded by its number of terms times the cap, whatever the number of cases.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import (
    Text,
    bindparam,
    cast,
    delete,
    event,
    func,
    insert,
    literal,
    text,
    union_all,
    update,
)
from sqlmodel import Session, col, select

from storage.models import Case, Customer, Post
from storage.problem_tables import CaseTerm, Problem, ProblemReply
from storage.types import ACTIVE_STATUSES


@dataclass(frozen=True)
class Windowed:
    """An open case of the window as detection sees it."""

    case_id: int
    terms: frozenset[str]
    tags: frozenset[str]
    problem_id: int | None
    at: datetime
    """When its terms were added (the case opened): whether it is still in the window."""


DETECTION_LOCK = 0x70726F62  # "prob"
DETECTION_LOCKED = "casebot.detection_locked"


def serialize_detection(session: Session) -> None:
    """One detection at a time, until the transaction ends: two cases of a storm
    detected by two workers at once must each see the other, or they would miss each
    other (or open two problems). SQLite's single writer (`BEGIN IMMEDIATE`) already
    does this. Taken once a transaction (a batch of queued cases detects many times):
    the flag in `session.info` is dropped whenever a transaction or savepoint ends, so
    it never outlives the lock."""
    if session.info.get(DETECTION_LOCKED):
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": DETECTION_LOCK})
    session.info[DETECTION_LOCKED] = True


# Detection runs for every new case, under SQLite's write lock: its statements are
# built once, with bound parameters, rather than per call (building and keying a
# statement cost more than running it; a statement object keeps its cache key), and
# on the tables, not the models (plain rows: no ORM compile and load step).
_TERMS = CaseTerm.__table__  # type: ignore[attr-defined]
_CASES = Case.__table__  # type: ignore[attr-defined]
_PROBLEMS = Problem.__table__  # type: ignore[attr-defined]
_ADD_TERMS = insert(_TERMS)
_PRUNE = delete(_TERMS).where(
    _TERMS.c.id.in_(
        select(_TERMS.c.id).where(_TERMS.c.at < bindparam("before")).limit(bindparam("limit"))
    )
)
_ACTIVE = (
    select(_PROBLEMS.c.id, _PROBLEMS.c.last_seen_at)
    .where(_PROBLEMS.c.status == "open", _PROBLEMS.c.last_seen_at >= bindparam("since"))
    .order_by(_PROBLEMS.c.last_seen_at.desc())
    .limit(bindparam("limit"))
)
_WINDOWED = (
    # The tags as their stored JSON text: a row per term, decoded once per case.
    select(_CASES.c.id, _CASES.c.problem_id, _TERMS.c.term, cast(_CASES.c.tags, Text), _TERMS.c.at)
    .join_from(_CASES, _TERMS, _TERMS.c.case_id == _CASES.c.id)
    .where(
        _CASES.c.id.in_(bindparam("ids", expanding=True)),
        _CASES.c.status.in_(ACTIVE_STATUSES),
        _TERMS.c.at >= bindparam("since"),
    )
)


def _one_statement(limited: list[Any]) -> Any:
    """Each SELECT with its own LIMIT, one range scan each, sent as one statement (a
    LIMIT inside a UNION needs its subquery)."""
    parts = [select(*sub.c) for sub in (query.subquery() for query in limited)]
    return union_all(*parts) if len(parts) > 1 else parts[0]


@cache
def _postings(n: int) -> Any:
    """The lookup of `n` terms: the newest cases of the window that have each."""
    return _one_statement(
        [
            select(literal(i).label("i"), _TERMS.c.case_id, _TERMS.c.size)
            .where(_TERMS.c.term == bindparam(f"t{i}"), _TERMS.c.at >= bindparam("since"))
            .order_by(_TERMS.c.at.desc())
            .limit(bindparam("per_term"))
            for i in range(n)
        ]
    )


@cache
def _recent(n: int) -> Any:
    """The newest open cases of `n` problems, from the problem's index."""
    return _one_statement(
        [
            select(_CASES.c.id)
            .where(_CASES.c.problem_id == bindparam(f"p{i}"), _CASES.c.status.in_(ACTIVE_STATUSES))
            .order_by(_CASES.c.id.desc())
            .limit(bindparam("per_problem"))
            for i in range(n)
        ]
    )


@event.listens_for(Session, "after_transaction_end")
def _lock_gone(session: Session, _transaction: Any) -> None:
    session.info.pop(DETECTION_LOCKED, None)


def add_terms(session: Session, *, case_id: int, terms: Iterable[str], at: datetime) -> None:
    unique = set(terms)
    rows = [{"case_id": case_id, "term": t, "at": at, "size": len(unique)} for t in unique]
    if rows:
        session.execute(_ADD_TERMS, rows)


def drop_terms(session: Session, *, case_ids: Sequence[int]) -> None:
    """A resolved case is no longer compared with anything."""
    if case_ids:
        session.execute(delete(CaseTerm).where(col(CaseTerm.case_id).in_(list(case_ids))))


def prune_terms(session: Session, *, before: datetime, limit: int = 5_000) -> int:
    """Forget terms of cases that left the window; bounded per call (the worker repeats)."""
    result = session.execute(_PRUNE, {"before": before, "limit": limit})
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def postings(
    session: Session, *, terms: Sequence[str], since: datetime, per_term: int
) -> dict[str, list[tuple[int, int]]]:
    """For each term, the most recent `per_term` cases of the window that have it, with
    their number of terms: one statement, each part a range scan of the covering index
    `ix_case_terms_lookup` with a limit."""
    if not terms:
        return {}
    params: dict[str, Any] = {f"t{i}": term for i, term in enumerate(terms)}
    params.update(since=since, per_term=per_term)
    found: dict[str, list[tuple[int, int]]] = {term: [] for term in terms}
    for i, case_id, size in session.execute(_postings(len(terms)), params):
        found[terms[i]].append((case_id, size))
    return found


def windowed(session: Session, *, case_ids: Iterable[int], since: datetime) -> list[Windowed]:
    """The open ones of these cases with their terms, tags and problem."""
    ids = sorted(set(case_ids))
    if not ids:
        return []
    terms: dict[int, set[str]] = {}
    facts: dict[int, tuple[str | None, int | None, datetime]] = {}
    for cid, pid, term, tags, at in session.execute(_WINDOWED, {"ids": ids, "since": since}):
        terms.setdefault(cid, set()).add(term)
        facts[cid] = (tags, pid, at)
    return [
        Windowed(cid, frozenset(found), _tags(facts[cid][0]), facts[cid][1], facts[cid][2])
        for cid, found in terms.items()
    ]


@lru_cache(maxsize=1024)
def _tags(stored: str | None) -> frozenset[str]:
    """A case's tags come from the config's routing rules: few distinct lists."""
    return frozenset(json.loads(stored) or ()) if stored else frozenset()


def active_problems(session: Session, *, since: datetime, limit: int) -> list[tuple[int, datetime]]:
    """Open problems with a case in the window, most recent first, with when each was
    last seen."""
    found = session.execute(_ACTIVE, {"since": since, "limit": limit})
    return [(pid, seen) for pid, seen in found]


def recent_members(session: Session, *, problem_ids: Sequence[int], per_problem: int) -> list[int]:
    """The newest open cases of each problem (bounded: a problem of thousands is still
    recognised by its latest cases)."""
    if not problem_ids:
        return []
    params: dict[str, Any] = {f"p{i}": pid for i, pid in enumerate(problem_ids)}
    params["per_problem"] = per_problem
    return list(session.execute(_recent(len(problem_ids)), params).scalars())


def link(session: Session, *, case_ids: Sequence[int], problem_id: int | None) -> None:
    if case_ids:
        session.execute(
            update(Case)
            .where(col(Case.id).in_(list(case_ids)))
            .values(problem_id=problem_id)
            .execution_options(synchronize_session="fetch")
        )


def cases_of(session: Session, *, problem_id: int, open_only: bool = False) -> list[Case]:
    stmt = select(Case).where(Case.problem_id == problem_id)
    if open_only:
        stmt = stmt.where(col(Case.status).in_(ACTIVE_STATUSES))
    return list(session.exec(stmt.order_by(col(Case.id))))


def count_cases(session: Session, *, problem_id: int) -> int:
    return session.exec(
        select(func.count()).select_from(Case).where(Case.problem_id == problem_id)
    ).one()


def first_posts(session: Session, *, case_ids: Sequence[int]) -> dict[int, Post]:
    """Each case's first post."""
    if not case_ids:
        return {}
    first = (
        select(func.min(Post.id))
        .where(col(Post.case_id).in_(list(case_ids)))
        .group_by(col(Post.case_id))
        .scalar_subquery()
    )
    return {p.case_id or 0: p for p in session.exec(select(Post).where(col(Post.id).in_(first)))}


def customers(session: Session, *, ids: Iterable[int]) -> dict[int, Customer]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.exec(select(Customer).where(col(Customer.id).in_(wanted)))
    return {c.id or 0: c for c in rows}


def set_fields(
    session: Session, *, problem_id: int, where: dict[str, Any], values: dict[str, Any]
) -> bool:
    """Conditional update of a problem (`None` in `where` means IS NULL); whether it won."""
    stmt = update(Problem).where(col(Problem.id) == problem_id)
    for name, expected in where.items():
        column = getattr(Problem, name)
        stmt = stmt.where(column.is_(None) if expected is None else column == expected)
    result = session.execute(stmt.values(**values).execution_options(synchronize_session=False))
    session.expire_all()
    return result.rowcount == 1  # type: ignore[attr-defined]


def add_reply(
    session: Session, *, problem_id: int, author_id: str, text: str, digest: str, now: datetime
) -> ProblemReply | None:
    """The reply to all, or None when the same text already went to this problem."""
    known = session.exec(
        select(ProblemReply).where(
            ProblemReply.problem_id == problem_id, ProblemReply.digest == digest
        )
    ).first()
    if known is not None:
        return None
    row = ProblemReply(
        problem_id=problem_id, author_id=author_id, text=text, digest=digest, created_at=now
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class PeriodProblem:
    problem_id: int
    status: str
    root_cause: str | None
    first_seen: datetime
    resolved_at: datetime | None
    first_answer: datetime | None
    """The earliest first response of its cases."""
    sources: list[tuple[str, int]]
    """Cases per source, most first."""

    @property
    def size(self) -> int:
        return sum(n for _, n in self.sources)


def in_period(
    session: Session, *, since: datetime, until: datetime, department: str | None, limit: int
) -> list[PeriodProblem]:
    """The problems first seen in [since, until), largest first (two aggregate reads)."""
    stmt = select(Problem).where(
        col(Problem.first_seen_at) >= since, col(Problem.first_seen_at) < until
    )
    if department is not None:
        stmt = stmt.where(Problem.department == department)
    found = {p.id or 0: p for p in session.exec(stmt)}
    if not found:
        return []
    sources: dict[int, list[tuple[str, int]]] = {}
    answered: dict[int, datetime | None] = {}
    rows = session.execute(
        select(Case.problem_id, Case.source, func.count(), func.min(Case.first_response_at))
        .where(col(Case.problem_id).in_(list(found)))
        .group_by(col(Case.problem_id), col(Case.source))
    )
    for pid, source, n, first in rows:
        sources.setdefault(pid, []).append((source, n))
        if first is not None and (answered.get(pid) is None or first < answered[pid]):
            answered[pid] = first
    lines = [
        PeriodProblem(
            problem_id=pid,
            status=p.status,
            root_cause=p.root_cause,
            first_seen=p.first_seen_at,
            resolved_at=p.resolved_at,
            first_answer=answered.get(pid),
            sources=sorted(sources.get(pid, []), key=lambda s: (-s[1], s[0])),
        )
        for pid, p in found.items()
    ]
    lines.sort(key=lambda line: (-line.size, line.problem_id))
    return lines[:limit]
