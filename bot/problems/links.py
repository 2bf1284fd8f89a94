"""Which cases a problem has; each change says so on the cards (`refresh`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from bot import effects
from bot.events import SYSTEM, ProblemLinked, ProblemUnlinked
from bot.ids import Surface
from bot.problems import known
from bot.problems.ids import format_problem_id
from bot.problems.refresh import refresh
from storage import problems as store
from storage.models import Case
from storage.problem_tables import Problem


def link(
    session: Session,
    problem: Problem,
    case_ids: Sequence[int],
    *,
    actor: str | None,
    now: datetime,
    surface: Surface = Surface.INGEST,
) -> None:
    """Make the cases reports of the problem; each card says so, the problem card counts."""
    ids = list(dict.fromkeys(case_ids))
    store.link(session, case_ids=ids, problem_id=problem.id)
    known.linked(session, problem.id, ids, at=now)
    problem.last_seen_at, ref = now, format_problem_id(problem.id or 0)
    for case_id in ids:
        if (
            case := session.get(Case, case_id)
        ) is not None and case.created_at < problem.first_seen_at:
            problem.first_seen_at = case.created_at
    events = [
        ProblemLinked(
            case_id=cid,
            actor=actor or SYSTEM,
            surface=surface,
            at=now,
            problem_id=problem.id or 0,
            problem=ref,
        )
        for cid in ids
    ]
    effects.publish(session, events)
    refresh(session, problem, now)


def unlink(
    session: Session, problem: Problem, case_id: int, *, actor: str, surface: Surface, now: datetime
) -> None:
    store.link(session, case_ids=[case_id], problem_id=None)
    known.linked(session, None, [case_id], at=now)
    event = ProblemUnlinked(
        case_id=case_id,
        actor=actor,
        surface=surface,
        at=now,
        problem_id=problem.id or 0,
        problem=format_problem_id(problem.id or 0),
    )
    effects.publish(session, [event])
    refresh(session, problem, now)
