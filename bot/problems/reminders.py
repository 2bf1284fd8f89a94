"""A claimed problem's owner hears its cases' reminders as one line per problem.

The sweep asks `owners` who owns the problem of each unowned case; that person gets
the reminders an owner would get, grouped (`grouped`) into one item per problem in
their DM, not one line per case. The cases' on-call paging is unchanged: an unowned
case is still unowned.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

from sqlmodel import Session, col, select

from bot.outbox.kinds import ProblemReminderItem, ReminderItem
from bot.problems.ids import format_problem_id
from storage.models import Case
from storage.problem_tables import Problem


def owners(session: Session, cases: Iterable[Case]) -> dict[int, str]:
    """case id → the owner of its claimed, open problem, for the unowned cases."""
    wanted = {c.id or 0: c.problem_id for c in cases if c.owner_id is None and c.problem_id}
    if not wanted:
        return {}
    claimed = dict(
        session.exec(
            select(Problem.id, Problem.owner_id).where(
                col(Problem.id).in_(set(wanted.values())),
                Problem.status == "open",
                col(Problem.owner_id).is_not(None),
            )
        ).all()
    )
    return {cid: claimed[pid] for cid, pid in wanted.items() if pid in claimed}


def grouped(problem_id: int, owner: str, items: list[ReminderItem]) -> ProblemReminderItem:
    """One reminder item for all of a problem's due cases."""
    breaches = sum(1 for i in items if i.breach)
    text = f"{len(items)} of its cases need an answer" + (
        f", {breaches} past the deadline" if breaches else ""
    )
    return ProblemReminderItem(
        problem_id=problem_id,
        ref=format_problem_id(problem_id),
        owner=owner,
        breach=breaches > 0,
        text=text,
        cases=tuple(items),
    )


def still_due(
    session: Session,
    item: ProblemReminderItem,
    case_due: Callable[[Session, ReminderItem], bool],
) -> ProblemReminderItem | None:
    """Re-checked at send time: the problem still theirs and open, a case still due;
    the item with only the cases still due, or None."""
    problem = session.get(Problem, item.problem_id)
    if problem is None or problem.status != "open" or problem.owner_id != item.owner:
        return None
    due = tuple(c for c in item.cases if case_due(session, dataclasses.replace(c, as_owner=False)))
    return dataclasses.replace(item, cases=due) if due else None
