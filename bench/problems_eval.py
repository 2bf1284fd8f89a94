"""The labelled set of customer posts and how well a scorer groups it, pairwise and as
problems. Shared by `bench.problems_similarity` (which compares scorers) and the tests
(which hold the chosen one to its targets)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from sqlmodel import col, select

from bot.intake import receive
from bot.posts import Author, IncomingPost
from bot.problems.detect import (
    DEFAULT_MIN_CASES,
    DEFAULT_MIN_LINKS,
    Candidate,
    Join,
    Open,
    absorb,
    detect,
)
from bot.problems.queue import detect_queued
from bot.problems.similarity import Matcher
from config.schema import CasebotConfig
from storage.db import Database
from storage.models import Case

LABELLED = Path(__file__).resolve().parents[1] / "tests" / "data" / "problems" / "labelled.jsonl"


@dataclass(frozen=True)
class Post:
    id: str
    source: str
    at: datetime
    text: str
    cluster: str | None
    near: str | None
    tags: frozenset[str]


def load(path: Path = LABELLED) -> list[Post]:
    posts = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        posts.append(
            Post(
                id=row["id"],
                source=row["source"],
                at=datetime.fromisoformat(row["at"]),
                text=row["text"],
                cluster=row["cluster"],
                near=row["near"],
                tags=frozenset(row["tags"]),
            )
        )
    return sorted(posts, key=lambda p: (p.at, p.id))


@dataclass(frozen=True)
class Scores:
    """Precision, recall and F1 of a yes/no decision."""

    precision: float
    recall: float

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def pairwise(posts: Sequence[Post], same: Callable[[int, int], bool]) -> Scores:
    """Every unordered pair: is "same root cause" decided as the labels say?"""
    tp = fp = fn = 0
    for i in range(len(posts)):
        for j in range(i + 1, len(posts)):
            truth = posts[i].cluster is not None and posts[i].cluster == posts[j].cluster
            said = same(i, j)
            tp += truth and said
            fp += said and not truth
            fn += truth and not said
    return Scores(tp / (tp + fp) if tp + fp else 1.0, tp / (tp + fn) if tp + fn else 1.0)


class Index(Protocol):
    """The window's cases as the simulation sees them: `Matcher`, or a precomputed
    matrix when the benchmark sweeps many scorers and thresholds."""

    def expire(self, now: datetime) -> object: ...

    def add(self, post: Post) -> None: ...

    def link(self, case_id: str, problem: str | None) -> None: ...

    def similar(self, case_id: str) -> Sequence[Candidate]: ...


class MatcherIndex:
    def __init__(self, matcher: Matcher) -> None:
        self.matcher = matcher

    def expire(self, now: datetime) -> object:
        return self.matcher.expire(now)

    def add(self, post: Post) -> None:
        self.matcher.add(post.id, post.text, post.at, post.tags)

    def link(self, case_id: str, problem: str | None) -> None:
        self.matcher.link(case_id, problem)

    def similar(self, case_id: str) -> Sequence[Candidate]:
        return self.matcher.similar(case_id)


@dataclass
class Outcome:
    """What a run of arrivals made of the labelled set."""

    problems: dict[str, list[str]] = field(default_factory=dict)
    precision: float = 1.0
    recall: float = 0.0
    clusters_found: int = 0
    clusters: int = 0
    hard_negatives_linked: int = 0
    purity_min: float = 1.0

    @property
    def f1(self) -> float:
        return Scores(self.precision, self.recall).f1


def simulate(
    posts: Sequence[Post],
    index: Index,
    *,
    min_cases: int = DEFAULT_MIN_CASES,
    min_links: int = DEFAULT_MIN_LINKS,
    grow: bool = True,
) -> Outcome:
    """Posts arrive in time order, as intake would see them (all still open): each is
    indexed, compared with the window, `detect` decides, `absorb` grows the problem.
    Scored per link: a post linked to a problem whose majority is its own cluster is
    right; any other link (a singleton, another cluster's post) is wrong; recall is the
    share of cluster posts rightly linked."""
    problems: dict[str, list[str]] = {}
    for post in posts:
        index.expire(post.at)
        index.add(post)
        decision = detect(index.similar(post.id), min_cases=min_cases, min_links=min_links)
        if isinstance(decision, Join):
            name, linked = decision.problem, [post.id]
        elif isinstance(decision, Open):
            name, linked = f"P-{len(problems) + 1}", [post.id, *decision.cases]
            problems[name] = []
        else:
            continue
        for case_id in linked:
            index.link(case_id, name)
        problems[name].extend(linked)
        if grow:
            more = absorb(name, linked, index.similar, min_links=min_links)
            for case_id in more:
                index.link(case_id, name)
            problems[name].extend(more)
    return score_problems(posts, problems)


def score_problems(posts: Sequence[Post], problems: dict[str, list[str]]) -> Outcome:
    by_id = {p.id: p for p in posts}
    right = linked = 0
    found: set[str] = set()
    purity_min = 1.0
    for members in problems.values():
        label, count = Counter(by_id[m].cluster for m in members).most_common(1)[0]
        linked += len(members)
        purity_min = min(purity_min, count / len(members))
        if label is not None:
            right += count
            found.add(label)
    cluster_posts = sum(1 for p in posts if p.cluster is not None)
    return Outcome(
        problems=problems,
        precision=right / linked if linked else 1.0,
        recall=right / cluster_posts if cluster_posts else 1.0,
        clusters_found=len(found),
        clusters=len({p.cluster for p in posts if p.cluster is not None}),
        hard_negatives_linked=sum(
            1 for members in problems.values() for m in members if by_id[m].near is not None
        ),
        purity_min=purity_min,
    )


def through_intake(
    posts: Sequence[Post],
    db: Database,
    config: CasebotConfig,
    *,
    window: timedelta | None = None,
) -> Outcome:
    """The labelled posts through the real intake (`bot.intake.receive`, one unit of
    work each, at each post's own time) and the database-backed detection the worker
    runs after each (`bot.problems.queue`); scored as
    `simulate` scores. The company's name is ignored, as the benchmark does."""
    problems_cfg = config.problems.model_copy(
        update={"ignore": ["brightbox"], **({"window": window} if window else {})}
    )
    config = config.model_copy(update={"problems": problems_cfg})
    post_of: dict[int, str] = {}
    for p in posts:
        incoming = IncomingPost(
            source=p.source, external_id=p.id, text=p.text, author=Author(id=f"a-{p.id}")
        )
        with db.session() as session:
            received = receive(session, incoming, now=p.at, config=config)
        detect_queued(db, config)
        post_of[received.case_id] = p.id
    groups: dict[str, list[str]] = {}
    with db.read() as session:
        for case_id, problem_id in session.exec(
            select(Case.id, Case.problem_id).where(col(Case.problem_id).is_not(None))
        ):
            groups.setdefault(f"P-{problem_id}", []).append(post_of[case_id or 0])
    return score_problems(posts, groups)
