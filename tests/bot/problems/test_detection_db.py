"""Detection of the queued cases (as the worker runs it), through the database: the
labelled set keeps its quality, the window and the open cases are what is compared, and
one common word costs at most `PER_TERM` candidates however many cases carry it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import col, select

from bench.problems_eval import load, through_intake
from bot.intake import receive
from bot.posts import Author, IncomingPost
from bot.problems import window
from bot.problems.queue import detect_queued
from config.schema import CasebotConfig
from storage import problems as store
from storage.db import Database
from storage.models import Case
from storage.problem_tables import CaseTerm, Problem
from tests.conftest import START, count

pytestmark = pytest.mark.both_db

STORM = [
    "App 5.2 crashes at checkout",
    "since 5.2 the checkout crashes",
    "checkout crash after the 5.2 update",
    "5.2 update: checkout crashes when I pay",
    "checkout crashing on 5.2, please fix",
    "crash at checkout with 5.2 again",
]


def _post(db: Database, config: CasebotConfig, n: int, text: str, minutes: float = 0) -> int:
    post = IncomingPost(
        source="web", external_id=f"p{n}", text=text, author=Author(id=f"a{n}", name=f"C {n}")
    )
    with db.session() as s:
        case_id = receive(s, post, now=START + timedelta(minutes=minutes), config=config).case_id
    detect_queued(db, config)  # as the worker does next
    return case_id


def _problem_of(db: Database, case_id: int) -> int | None:
    with db.read() as s:
        case = s.get(Case, case_id)
        return case.problem_id if case else None


@pytest.mark.parametrize(
    ("hours", "precision", "recall"),
    # Measured: 3h P 0.934 R 0.899; 2h (the SPEC default) P 0.912 R 0.777, as the
    # in-memory simulation (bench.problems_similarity) within two posts.
    [(3, 0.9, 0.8), (2, 0.9, 0.75)],
    ids=["3h", "2h"],
)
def test_the_labelled_set_through_intake_meets_the_targets(
    db: Database, config: CasebotConfig, hours: int, precision: float, recall: float
) -> None:
    outcome = through_intake(load(), db, config, window=timedelta(hours=hours))
    assert outcome.precision >= precision
    assert outcome.recall >= recall
    assert outcome.clusters_found >= 16


def test_the_fifth_similar_case_opens_a_problem_and_later_ones_join(
    db: Database, config: CasebotConfig
) -> None:
    ids = [_post(db, config, i, text, minutes=i) for i, text in enumerate(STORM[:4])]
    assert [_problem_of(db, c) for c in ids] == [None] * 4
    ids.append(_post(db, config, 4, STORM[4], minutes=4))
    with db.read() as s:
        [problem] = s.exec(select(Problem)).all()
    assert [_problem_of(db, c) for c in ids] == [problem.id] * 5
    later = _post(db, config, 5, STORM[5], minutes=5)
    assert _problem_of(db, later) == problem.id
    other = _post(db, config, 6, "How do I change my delivery address?", minutes=6)
    assert _problem_of(db, other) is None
    with db.read() as s:
        assert count(s, Problem) == 1
        assert s.get(Problem, problem.id).first_seen_at == START


def test_the_window_reads_each_case_with_its_tags_and_problem(
    db: Database, config: CasebotConfig
) -> None:
    """Tags are read as stored JSON text, decoded once a case, on either database."""
    tagged, plain = (_post(db, config, i, STORM[i]) for i in range(2))
    with db.session() as s:
        s.get(Case, tagged).tags = ["billing", "refund"]
        s.get(Case, plain).tags = []
    with db.read() as s:
        rows = store.windowed(s, case_ids=[tagged, plain], since=START - timedelta(hours=1))
    by_case = {row.case_id: (row.tags, row.problem_id, len(row.terms) > 2) for row in rows}
    assert by_case == {
        tagged: (frozenset({"billing", "refund"}), None, True),
        plain: (frozenset(), None, True),
    }


def test_cases_that_left_the_window_or_were_resolved_do_not_count(
    db: Database, config: CasebotConfig
) -> None:
    _post(db, config, 0, STORM[0], minutes=0)
    _post(db, config, 1, STORM[1], minutes=1)
    resolved = _post(db, config, 2, STORM[2], minutes=150)
    with db.session() as s:
        s.get(Case, resolved).status = "resolved"
    for i in (3, 4, 5):
        _post(db, config, i, STORM[i], minutes=150 + i)
    with db.read() as s:
        assert count(s, Problem) == 0
        # Terms of the cases that left the window were pruned by later intakes.
        assert count(s, CaseTerm, col(CaseTerm.at) < START + timedelta(minutes=30)) == 0


def test_short_posts_sharing_one_word_are_not_a_problem(
    db: Database, config: CasebotConfig
) -> None:
    """ "Question 7" and "Question 8" score 0.5, yet say nothing about one cause."""
    for i in range(10, 20):
        _post(db, config, i, f"Question {i}", minutes=i)
    for i in range(20, 30):
        _post(db, config, i, "refund?", minutes=i)
    with db.read() as s:
        assert count(s, Problem) == 0


def test_detection_can_be_switched_off(db: Database, config: CasebotConfig) -> None:
    off = config.model_copy(
        update={"problems": config.problems.model_copy(update={"enabled": False})}
    )
    for i, text in enumerate(STORM):
        _post(db, off, i, text, minutes=i)
    with db.read() as s:
        assert count(s, Problem) == 0
        assert count(s, CaseTerm) == 0


def test_a_common_word_brings_at_most_its_latest_cases(db: Database, config: CasebotConfig) -> None:
    first = _post(db, config, 0, "checkout question", minutes=0)
    with db.session() as s:
        ids = []
        for i in range(window.PER_TERM + 30):
            case = s.get(Case, first)
            clone = Case(
                department=case.department,
                customer_id=case.customer_id,
                source="web",
                created_at=START,
                updated_at=START,
            )
            s.add(clone)
            s.flush()
            store.add_terms(
                s, case_id=clone.id or 0, terms=["checkout"], at=START + timedelta(seconds=i)
            )
            ids.append(clone.id or 0)
    with db.read() as s:
        found = store.postings(s, terms=["checkout"], since=START, per_term=window.PER_TERM)
    assert sorted(cid for cid, _ in found["checkout"]) == sorted(ids[-window.PER_TERM :])


def test_a_word_shared_with_the_whole_window_and_nothing_else_reads_no_window(
    db: Database, config: CasebotConfig
) -> None:
    """Forty cases say "refund" and a number of their own: none can be similar to the
    next one (one common stem of two), so with no problem active the window's cases are
    not read; a post that shares two stems with them still reads and scores them."""
    for n in range(40):
        _post(db, config, n, f"refund {1000 + n}", minutes=n / 10)
    reads: list[str] = []

    def seen(_c: object, _cur: object, statement: str, *_: object) -> None:
        if "JOIN case_terms" in statement:
            reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        _post(db, config, 100, "refund 5000", minutes=5)
        assert reads == []
        _post(db, config, 101, "refund 1039", minutes=5)
        assert len(reads) == 1
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)


def test_a_turn_reads_each_case_of_the_window_once_and_links_as_case_by_case(
    db: Database, config: CasebotConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twelve storm posts queued together are detected in one turn (`bot.problems.known`):
    each earlier case is read from the database once, not once per later case, the
    active problems once, and the outcome is the one-at-a-time one: the fifth opens a
    problem, every other joins it."""
    read: list[int] = []
    actives: list[int] = []
    windowed, active_problems = store.windowed, store.active_problems

    def counted(session: object, *, case_ids: set[int], since: object) -> object:
        read.extend(case_ids)
        return windowed(session, case_ids=case_ids, since=since)  # type: ignore[arg-type]

    def counted_active(session: object, **kw: object) -> object:
        actives.append(1)
        return active_problems(session, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "windowed", counted)
    monkeypatch.setattr(store, "active_problems", counted_active)
    with db.session() as s:
        ids = [
            receive(
                s,
                IncomingPost(source="web", external_id=f"q{n}", text=t, author=Author(id=f"q{n}")),
                now=START + timedelta(minutes=n),
                config=config,
            ).case_id
            for n, t in enumerate(STORM * 2)
        ]
    assert detect_queued(db, config) == 12
    assert sorted(read) == sorted(set(read)) and set(read) <= set(ids)
    assert actives == [1]
    with db.read() as s:
        [problem] = s.exec(select(Problem)).all()
    assert [_problem_of(db, c) for c in ids] == [problem.id] * 12
