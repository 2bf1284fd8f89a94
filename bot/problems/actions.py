"""What people do to a problem: link and unlink cases, claim it, answer every customer,
resolve every case. Each is one unit of work in the caller's session; each case still
goes through its own lifecycle (`bot.cases`, `bot.replies`), so approval rules, clocks,
cards and audit rows are exactly those of doing it case by case."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot import cases, effects, replies
from bot.cases import get_case
from bot.events import InvalidTransition, ProblemOwned, Refused
from bot.ids import Surface, format_case_id
from bot.problems import links
from bot.problems.ids import format_problem_id
from bot.problems.refresh import refresh
from bot.problems.view import get_problem
from config.schema import CasebotConfig
from storage import problems as store
from storage.problem_tables import Problem

NAME = "{name}"


def _open(session: Session, problem_id: int) -> Problem:
    problem = get_problem(session, problem_id)
    if problem.status == "resolved":
        raise Refused(f"{format_problem_id(problem_id)} is resolved.")
    return problem


def _audit(
    session: Session,
    problem: Problem,
    kind: str,
    actor: str,
    surface: Surface,
    now: datetime,
    **data: object,
) -> None:
    effects.audit(
        session,
        kind=kind,
        actor=actor,
        surface=surface.value,
        at=now,
        data={"problem": format_problem_id(problem.id or 0), **data},
    )


def link(
    session: Session, case_id: int, problem_id: int, *, actor: str, surface: Surface, now: datetime
) -> None:
    """Put a case detection missed into a problem (or move it from another)."""
    case = get_case(session, case_id)
    problem = _open(session, problem_id)
    ref = format_problem_id(problem_id)
    if case.problem_id == problem_id:
        raise InvalidTransition(case_id, f"it is already part of {ref}.")
    if case.problem_id is not None:
        old = get_problem(session, case.problem_id)
        links.unlink(session, old, case_id, actor=actor, surface=surface, now=now)
    links.link(session, problem, [case_id], actor=actor, now=now, surface=surface)


def unlink(session: Session, case_id: int, *, actor: str, surface: Surface, now: datetime) -> str:
    """Take a case out of its problem (detection got it wrong); returns the problem's ref."""
    case = get_case(session, case_id)
    if case.problem_id is None:
        raise InvalidTransition(case_id, "it is not part of a problem.")
    problem = get_problem(session, case.problem_id)
    links.unlink(session, problem, case_id, actor=actor, surface=surface, now=now)
    return format_problem_id(problem.id or 0)


def claim(
    session: Session, problem_id: int, *, actor: str, surface: Surface, now: datetime
) -> None:
    """One person owns the problem: the reminders of its unowned cases go to them."""
    problem = _open(session, problem_id)
    won = store.set_fields(
        session,
        problem_id=problem_id,
        where={"owner_id": None, "status": "open"},
        values={"owner_id": actor, "claimed_at": now},
    )
    if not won:
        owner = get_problem(session, problem_id).owner_id or ""
        raise ProblemOwned(problem_id, owner, actor)
    problem = get_problem(session, problem_id)
    _audit(session, problem, "problem_claimed", actor, surface, now)
    refresh(session, problem, now)


@dataclass(frozen=True)
class Answered:
    """What Reply to all did, for the person who asked."""

    queued: int
    waiting_approval: int
    no_connector: list[str]


def _personal(text: str, name: str) -> str:
    first = name.strip().split()[0] if name.strip() else "there"
    return text.replace(NAME, first)


def reply_all(
    session: Session,
    problem_id: int,
    *,
    text: str,
    actor: str,
    surface: Surface,
    now: datetime,
    config: CasebotConfig,
) -> Answered:
    """One reply per open case, through that customer's own connector, `{name}` made
    theirs. The same text twice is refused (a double submit answers nobody twice);
    each case's reply is queued under a key of the problem reply and the case, so a
    retried unit of work cannot queue it twice either."""
    problem = _open(session, problem_id)
    ref = format_problem_id(problem_id)
    text = text.strip()
    if not text:
        raise Refused("The reply is empty.")
    if len(text) > replies.MAX_REPLY_CHARS:
        raise Refused(f"The reply is longer than {replies.MAX_REPLY_CHARS} characters.")
    digest = hashlib.sha256(text.encode()).hexdigest()
    row = store.add_reply(
        session, problem_id=problem_id, author_id=actor, text=text, digest=digest, now=now
    )
    if row is None:
        raise Refused(f"That answer already went to the customers of {ref}.")
    open_cases = store.cases_of(session, problem_id=problem_id, open_only=True)
    people = store.customers(session, ids=[c.customer_id for c in open_cases])
    queued = waiting = 0
    missing: list[str] = []
    for case in open_cases:
        source = config.sources.get(case.source)
        if source is None or source.reply is None:
            missing.append(format_case_id(case.id or 0))
            continue
        customer = people.get(case.customer_id)
        [event] = replies.request(
            session,
            case.id or 0,
            text=_personal(text, customer.name if customer else ""),
            actor=actor,
            surface=surface,
            now=now,
            config=config,
            key=f"problem_reply:{row.id}:{case.id}",
        )
        if getattr(event, "needs_approval", False):
            waiting += 1
        else:
            queued += 1
    if problem.answered_at is None:
        problem.answered_at = now
    _audit(session, problem, "problem_replied", actor, surface, now, cases=queued + waiting)
    refresh(session, problem, now)
    return Answered(queued, waiting, missing)


def resolve_all(
    session: Session,
    problem_id: int,
    *,
    root_cause: str | None,
    note: str,
    actor: str,
    surface: Surface,
    now: datetime,
    config: CasebotConfig,
) -> int:
    """Resolve every still-open case with the root cause; returns how many. A customer
    who writes again afterwards gets their own case again, the problem stays resolved."""
    problem = _open(session, problem_id)
    if root_cause is not None and config.root_causes and root_cause not in config.root_causes:
        known = ", ".join(config.root_causes)
        raise Refused(f"'{root_cause}' is not a root cause; use one of: {known}")
    open_cases = store.cases_of(session, problem_id=problem_id, open_only=True)
    for case in open_cases:
        cases.resolve(
            session,
            case.id or 0,
            actor=actor,
            surface=surface,
            now=now,
            config=config,
            root_cause=root_cause,
            note=note,
        )
    store.drop_terms(session, case_ids=[c.id or 0 for c in open_cases])
    problem = get_problem(session, problem_id)
    problem.status, problem.root_cause, problem.note = "resolved", root_cause, note
    problem.resolved_at = now
    _audit(
        session,
        problem,
        "problem_resolved",
        actor,
        surface,
        now,
        cases=len(open_cases),
        root_cause=root_cause,
    )
    refresh(session, problem, now)
    return len(open_cases)
