"""The problem decision for one new case, given the window's cases similar to it.

Pure: the caller (intake) finds the similar cases and applies the decision in its own
transaction. A problem is reached through its linked cases: a new case joins the
problem most of its similar cases belong to; otherwise, once `min_cases` similar open
cases (the new one included) are unlinked, they open a problem together.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

DEFAULT_MIN_CASES = 5
# Joining takes two similar members, not one: one shared word with one member is how
# unrelated posts chain into a problem ("reset e-mail never arrives" -> "e-mail says
# delivered" -> parcels); bench.problems_similarity prints both.
DEFAULT_MIN_LINKS = 2
# However a problem grows, one decision never walks more than this many cases.
MAX_ABSORB = 200


@dataclass(frozen=True)
class Candidate:
    """An open case of the window similar to the new one."""

    case_id: str
    score: float
    problem: str | None = None


@dataclass(frozen=True)
class Join:
    """Link the new case to an existing problem."""

    problem: str
    links: int
    score: float


@dataclass(frozen=True)
class Open:
    """Open a problem with the new case and these unlinked cases (best match first)."""

    cases: tuple[str, ...]


@dataclass(frozen=True)
class Nothing:
    """Not (yet) part of a problem."""


Decision = Join | Open | Nothing


def detect(
    candidates: Sequence[Candidate],
    *,
    min_cases: int = DEFAULT_MIN_CASES,
    min_links: int = DEFAULT_MIN_LINKS,
) -> Decision:
    """Join the problem with the most similar members (then the best score, then the
    lowest id, so the choice is deterministic); else open one at `min_cases`."""
    if min_cases < 2 or min_links < 1:
        raise ValueError("min_cases must be at least 2 and min_links at least 1")
    by_problem: dict[str, list[float]] = {}
    unlinked: dict[str, float] = {}
    for c in candidates:
        if c.problem is None:
            unlinked[c.case_id] = max(c.score, unlinked.get(c.case_id, 0.0))
        else:
            by_problem.setdefault(c.problem, []).append(c.score)
    joinable = [
        (len(scores), max(scores), problem)
        for problem, scores in by_problem.items()
        if len(scores) >= min_links
    ]
    if joinable:
        links, score, problem = min(joinable, key=lambda j: (-j[0], -j[1], j[2]))
        return Join(problem=problem, links=links, score=score)
    if len(unlinked) + 1 >= min_cases:
        ranked = sorted(unlinked.items(), key=lambda kv: (-kv[1], kv[0]))
        return Open(cases=tuple(case_id for case_id, _ in ranked))
    return Nothing()


Neighbours = Callable[[str], Sequence[Candidate]]


def absorb(
    problem: str,
    seeds: Iterable[str],
    neighbours: Neighbours,
    *,
    min_links: int = DEFAULT_MIN_LINKS,
    limit: int = MAX_ABSORB,
) -> list[str]:
    """The unlinked cases that now have `min_links` similar members of `problem`.

    When a problem opens (or a case joins it), cases that came earlier and were similar
    to some of its members but not to the case that opened it are still unlinked; they
    join now, and so on from each of them. `seeds` are the cases just linked;
    `neighbours(case)` is the matcher's `similar`, with each candidate's problem as
    the caller has recorded it (seeds already linked).
    """
    added: set[str] = set()
    queue = deque(seeds)
    while queue and len(added) < limit:
        # A case's links only grow when a neighbour joins: look again from each new one.
        for c in neighbours(queue.popleft()):
            if c.problem is not None or c.case_id in added:
                continue
            links = sum(
                1 for n in neighbours(c.case_id) if n.problem == problem or n.case_id in added
            )
            if links >= min_links:
                added.add(c.case_id)
                queue.append(c.case_id)
                if len(added) >= limit:
                    break
    return sorted(added)
