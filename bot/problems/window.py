"""The window's open cases similar to one, found in the database at a cost that does not
grow with the number of cases (SPEC "Problems"; `bench.problems_intake` measures it).

Candidates come from `case_terms`: for each of the new case's stems, the most recent
`PER_TERM` cases of the window that have it (and how many stems each has), read from a
covering index. A rare stem (a version, a promo code, a depot) brings all the storm's
cases whatever else the window holds, a common one only its latest. Counting the
stems each case shared there gives a lower bound of its score; the `POOL` best, and
the newest cases of each active problem (so a storm is recognised even when its words
are all common), are then scored on all their stems (`similarity`: cosine of stem
sets, routing tags as a gate). Within a detection turn, rows and problems already read
are not read again (`known`).
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session

from bot.problems import known
from bot.problems.detect import Candidate
from bot.problems.similarity import ochiai, tags_allow
from config.problems import ProblemsConfig
from storage import problems as store
from storage.problems import Windowed

MIN_SHARED = 2
"""A post of one or two words is similar to another only if they share two: otherwise
its one shared word is the whole of it ("Question 3" and "Question 4" score 0.5 and
say nothing about a common cause). Measured on the labelled set, the rule costs
nothing there (2h: P 0.912 R 0.777 with it, 0.913 / 0.782 without)."""
PER_TERM = 32
POOL = 50
ACTIVE_PROBLEMS = 10
MEMBERS_PER_PROBLEM = 20


def enough(common: frozenset[str], a: frozenset[str], b: frozenset[str]) -> bool:
    """One word in common is enough only between posts that say more than two things."""
    return len(common) >= MIN_SHARED or min(len(a), len(b)) > MIN_SHARED


def score(
    terms: frozenset[str], tags: frozenset[str], rows: Iterable[Windowed], threshold: float
) -> list[Candidate]:
    """The rows similar to (terms, tags), best first."""
    found = []
    for row in rows:
        if not tags_allow(tags, row.tags):
            continue
        common = terms & row.terms
        value = ochiai(len(common), len(terms), len(row.terms))
        if enough(common, terms, row.terms) and value >= threshold:
            problem = str(row.problem_id) if row.problem_id is not None else None
            found.append(Candidate(str(row.case_id), value, problem))
    found.sort(key=lambda c: (-c.score, int(c.case_id)))
    return found


def nearby(
    session: Session,
    *,
    case_id: int,
    terms: frozenset[str],
    now: datetime,
    config: ProblemsConfig,
) -> list[Windowed]:
    """The window's open cases that may be similar (to be scored on all their terms),
    without `case_id`: the `POOL` best by the terms the lookup saw, and the newest cases
    of the active problems."""
    since = now - config.window
    found = store.postings(session, terms=sorted(terms), since=since, per_term=PER_TERM)
    shared: Counter[int] = Counter()
    sizes: dict[int, int] = {}
    for hits in found.values():
        for cid, size in hits:
            shared[cid] += 1
            sizes[cid] = size
    shared.pop(case_id, None)
    best = heapq.nlargest(POOL, shared, key=lambda c: (ochiai(shared[c], len(terms), sizes[c]), -c))
    active = known.active(
        session,
        since,
        ACTIVE_PROBLEMS,
        lambda: store.active_problems(session, since=since, limit=ACTIVE_PROBLEMS),
    )
    members = store.recent_members(session, problem_ids=active, per_problem=MEMBERS_PER_PROBLEM)
    if not members:
        full = [{cid for cid, _ in hits} for hits in found.values() if len(hits) >= PER_TERM]
        if not any(_may_match(c, shared[c], sizes[c], len(terms), full, config) for c in best):
            return []
    return known.windowed(
        session,
        {*best, *members} - {case_id},
        since,
        lambda ids: store.windowed(session, case_ids=ids, since=since),
    )


def _may_match(
    case_id: int,
    shared: int,
    size: int,
    mine: int,
    full: list[set[int]],
    config: ProblemsConfig,
) -> bool:
    """Whether the case could score as similar once read whole. The look-up saw `shared`
    of its `size` stems among ours; it can share more only through a stem whose list the
    look-up cut at `PER_TERM` (`full`) without it. When no case of the pool could, and no
    problem is active, there is no candidate, so the decision is "nothing" whatever the
    window holds, and the window is not read: a burst of posts that share one common
    word and nothing else costs no window read."""
    most = shared + sum(1 for listed in full if case_id not in listed)
    possible = most >= MIN_SHARED or min(mine, size) > MIN_SHARED
    return possible and ochiai(most, mine, size) >= config.similarity
