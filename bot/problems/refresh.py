"""The problem card kept current: every change to a problem or to one of its cases
queues one re-render (coalesced: it renders the problem as it is when it goes out),
paced to one edit per second."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.outbox import kinds
from storage import outbox
from storage.problem_tables import Problem

PROBLEM_CARD = kinds.ProblemCard.kind
PACE = timedelta(seconds=1)
"""Slack allows about one message per second per channel; a storm edits the card
far more often than that, and a paced refresh still shows everything (it renders
whatever the problem is when it goes out)."""


def card_key_prefix(problem_id: int) -> str:
    return f"{PROBLEM_CARD}:{problem_id}:"


PENDING = "casebot.problem_card_pending"


def refresh(session: Session, problem: Problem, now: datetime) -> None:
    """Queue a re-render of the problem card unless one already waits; either way it is
    remembered for the session (Resolve all changes forty cases of one problem, a
    detection batch links sixty-four)."""
    queued: set[int] = session.info.setdefault(PENDING, set())
    if problem.id in queued:
        return
    queued.add(problem.id or 0)
    prefix = card_key_prefix(problem.id or 0)
    if outbox.waiting_with_prefix(session, kind=PROBLEM_CARD, prefix=prefix):
        return
    kinds.enqueue(
        session,
        kinds.ProblemCard(problem_id=problem.id or 0),
        key=prefix + str(uuid.uuid4()),
        now=now,
        not_before=problem.card_at + PACE if problem.card_at else None,
    )


def refresh_for_case(session: Session, problem_id: int, now: datetime) -> None:
    """A linked case changed (answered, resolved, reopened): its problem's card counts it."""
    if problem_id in session.info.get(PENDING, set()):
        return
    problem = session.get(Problem, problem_id)
    if problem is not None:
        refresh(session, problem, now)
