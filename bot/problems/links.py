"""Which cases a problem has, and its card kept current: every change to a problem or
its cases queues one card refresh (coalesced, and paced to one edit per second)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session

from bot import effects
from bot.events import SYSTEM, ProblemLinked, ProblemUnlinked
from bot.ids import Surface
from bot.problems.ids import format_problem_id
from storage import outbox
from storage import problems as store
from storage.models import Case, Problem

PROBLEM_CARD = "problem_card"
PACE = timedelta(seconds=1)
"""Slack allows about one message per second per channel; a storm edits the card
far more often than that, and a paced refresh still shows everything (it renders
whatever the problem is when it goes out)."""


def card_key_prefix(problem_id: int) -> str:
    return f"{PROBLEM_CARD}:{problem_id}:"


def refresh(session: Session, problem: Problem, now: datetime) -> None:
    """Queue a re-render of the problem card unless one already waits."""
    prefix = card_key_prefix(problem.id or 0)
    if outbox.waiting_with_prefix(session, kind=PROBLEM_CARD, prefix=prefix):
        return
    outbox.enqueue(
        session,
        kind=PROBLEM_CARD,
        key=prefix + str(uuid.uuid4()),
        now=now,
        not_before=problem.card_at + PACE if problem.card_at else None,
        payload={"problem_id": problem.id},
    )


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
