"""What a problem card shows, gathered as plain data (rendered by `bot.slack.problems`);
texts are masked here, as on case cards."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot import pii
from bot.events import Refused
from bot.ids import format_case_id
from bot.problems.ids import format_problem_id
from config.schema import CasebotConfig
from storage import problems as store
from storage.models import MAX_ID
from storage.problem_tables import Problem
from storage.types import ACTIVE_STATUSES

SAMPLES = 3
SHOWN_CASES = 20


@dataclass(frozen=True)
class LinkedCase:
    ref: str
    case_id: int
    status: str
    channel: str | None
    ts: str | None


@dataclass(frozen=True)
class ProblemCardView:
    problem_id: int
    ref: str
    status: str
    department: str
    department_name: str
    channel: str
    count: int
    open_count: int
    sources: list[tuple[str, int]]
    """Most cases first."""
    first_seen: datetime
    last_seen: datetime
    samples: list[str]
    cases: list[LinkedCase]
    """The newest `SHOWN_CASES`, oldest of them first."""
    owner_id: str | None
    root_cause: str | None
    note: str
    answered_at: datetime | None
    resolved_at: datetime | None


def get_problem(session: Session, problem_id: int) -> Problem:
    problem = session.get(Problem, problem_id) if 0 < problem_id <= MAX_ID else None
    if problem is None:
        raise Refused(f"There is no problem {format_problem_id(problem_id)}.")
    return problem


def problem_view(session: Session, problem_id: int, config: CasebotConfig) -> ProblemCardView:
    problem = get_problem(session, problem_id)
    cases = store.cases_of(session, problem_id=problem_id)
    posts = store.first_posts(session, case_ids=[c.id or 0 for c in cases[:SAMPLES]])
    department = config.departments.get(problem.department)
    shown = cases[-SHOWN_CASES:]
    return ProblemCardView(
        problem_id=problem_id,
        ref=format_problem_id(problem_id),
        status=problem.status,
        department=problem.department,
        department_name=department.name if department else problem.department,
        channel=department.channel if department else "",
        count=len(cases),
        open_count=sum(1 for c in cases if c.status in ACTIVE_STATUSES),
        sources=Counter(c.source for c in cases).most_common(),
        first_seen=problem.first_seen_at,
        last_seen=problem.last_seen_at,
        samples=[pii.mask(p.text, config.pii.mask) for p in posts.values()],
        cases=[
            LinkedCase(format_case_id(c.id or 0), c.id or 0, c.status, c.card_channel, c.card_ts)
            for c in shown
        ],
        owner_id=problem.owner_id,
        root_cause=problem.root_cause,
        note=problem.note,
        answered_at=problem.answered_at,
        resolved_at=problem.resolved_at,
    )
