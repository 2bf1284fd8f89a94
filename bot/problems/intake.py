"""Problem detection for a case that opened, in the worker's detection turn
(`bot.problems.queue`, which takes the cases the intake queued, in order).

The new case's stems go into `case_terms`; the window's similar open cases decide
(`detect`): join the problem most of them belong to, open one at `min_cases`, or
nothing. Cases that came earlier and now resemble `min_links` of the problem's members
join as well (`absorb`'s rule, over the candidates already read: no extra lookups per
case), so a problem does not miss the posts before the one that opened it.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.problems import known, links, window
from bot.problems.detect import Join, Open, detect
from bot.problems.similarity import ochiai, stems
from config.schema import CasebotConfig
from storage import problems as store
from storage.models import Case
from storage.problem_tables import Problem
from storage.problems import Windowed

log = logging.getLogger("casebot.problems")

PRUNE_PER_CASE = 50
"""Terms of cases that left the window, deleted per new case: more than a case adds."""


def on_open(
    session: Session, case: Case, text: str, *, now: datetime, config: CasebotConfig
) -> None:
    """Compare the new case with the window and link it (and others) to a problem."""
    cfg = config.problems
    if not cfg.enabled:
        return
    case_id = case.id or 0
    terms = stems(text, frozenset(w.casefold() for w in cfg.ignore))
    if not terms:
        return
    tags = frozenset(case.tags)
    store.serialize_detection(session)
    _prune(session, now - cfg.window)
    near = window.nearby(session, case_id=case_id, terms=terms, now=now, config=cfg)
    candidates = window.score(terms, tags, near, cfg.similarity)
    store.add_terms(session, case_id=case_id, terms=terms, at=now)
    me = Windowed(case_id, terms, tags, None, now)
    known.add(session, me)
    decision = detect(candidates, min_cases=cfg.min_cases, min_links=cfg.min_links)
    if isinstance(decision, Join):
        problem = session.get(Problem, int(decision.problem))
        if problem is None:
            return
        # Its members as the window read them: the newest of every active problem,
        # and any of the best candidates (not read again: a storm joins every time).
        members = [w for w in near if w.problem_id == problem.id]
        joined = [case_id, *_absorb([me, *members], near, cfg.similarity, cfg.min_links)]
    elif isinstance(decision, Open):
        opening = [int(c) for c in decision.cases]
        by_id = {w.case_id: w for w in near}
        problem = _new_problem(session, [case, *_cases(session, opening)], now)
        members = [me, *(by_id[c] for c in opening if c in by_id)]
        joined = [case_id, *opening, *_absorb(members, near, cfg.similarity, cfg.min_links)]
    else:
        return
    links.link(session, problem, joined, actor=None, now=now)
    log.info("problem.linked", extra={"problem": problem.id, "cases": len(joined)})


PRUNED_TO = "casebot.terms_pruned_to"
"""`session.info`: terms before this instant are all gone (a prune found fewer than its
limit). Nothing in the transaction adds older ones, so a batch of posts prunes once:
the posts after the first are within `PRUNE_SLACK` of it. Only housekeeping is late by
that much: detection reads the window by time whatever is left in the table."""
PRUNE_SLACK = timedelta(seconds=1)


def _prune(session: Session, before: datetime) -> None:
    done: datetime | None = session.info.get(PRUNED_TO)
    if done is not None and before - done < PRUNE_SLACK:
        return
    if store.prune_terms(session, before=before, limit=PRUNE_PER_CASE) < PRUNE_PER_CASE:
        session.info[PRUNED_TO] = before


def _cases(session: Session, ids: list[int]) -> list[Case]:
    return [c for cid in ids if (c := session.get(Case, cid)) is not None]


def _new_problem(session: Session, cases: list[Case], now: datetime) -> Problem:
    """The card goes where most of the cases were routed (ties: the earliest case's)."""
    votes = Counter(c.department for c in cases)
    top = max(votes.values())
    ordered = sorted(cases, key=lambda c: c.id or 0)
    department = next(c.department for c in ordered if votes[c.department] == top)
    problem = Problem(
        department=department,
        created_at=now,
        first_seen_at=min(c.created_at for c in cases),
        last_seen_at=now,
    )
    session.add(problem)
    session.flush()
    return problem


def _absorb(
    members: list[Windowed], pool: list[Windowed], threshold: float, min_links: int
) -> list[int]:
    """Unlinked cases of `pool` similar to at least `min_links` members, repeated as
    members grow (each one added may bring its neighbours in the pool)."""
    inside = {m.case_id for m in members}
    added: list[int] = []
    grew = True
    while grew:
        grew = False
        for row in pool:
            if row.case_id in inside or row.problem_id is not None:
                continue
            links = sum(
                1
                for m in members
                if window.enough(common := row.terms & m.terms, row.terms, m.terms)
                and ochiai(len(common), len(row.terms), len(m.terms)) >= threshold
                and (not (row.tags and m.tags) or bool(row.tags & m.tags))
            )
            if links >= min_links:
                members.append(row)
                inside.add(row.case_id)
                added.append(row.case_id)
                grew = True
    return added
