"""Merges that race, on both databases: A into B while B goes into A, Merge against
Not the same, many Merge clicks at once. Exactly one change wins; the others are told
why in words (a `MergeRefused`), never a deadlock or a half-done merge."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlmodel import col, select

from bot import merges
from bot.deps import Deps
from bot.ids import Surface
from bot.merge_events import MergeRefused, Why
from bot.timesource import ManualTime
from storage.merge_tables import MergeDismissal
from storage.models import Case, Event, Post
from tests.conftest import count
from tests.handlers.slack.test_merges import ingest

pytestmark = pytest.mark.both_db

ROUNDS = 3


def _race(works: list[Callable[[], Any]]) -> list[Any]:
    """Run each of `works` in its own thread, released at once; results or errors."""
    barrier = threading.Barrier(len(works))
    results: list[Any] = [None] * len(works)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = works[i]()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(works))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _pair(http: FlaskClient, time_source: ManualTime, n: int) -> tuple[int, int]:
    """Two cases of one customer on two sources; the second suggests the first."""
    email = f"race{n}@example.com"
    older = int(ingest(http, "email", n, "kettle", email=email).removeprefix("C-"))
    time_source.advance(timedelta(minutes=1))
    newer = int(ingest(http, "x", n, "kettle!", email=email).removeprefix("C-"))
    return older, newer


def _merge(deps: Deps, merged: int, into: int, user: str, suggested: bool = False) -> str:
    with deps.db.session() as s:
        merges.merge(
            s,
            merged,
            into,
            actor=user,
            surface=Surface.BUTTON,
            now=deps.time.now(),
            config=deps.config,
            suggested=suggested,
        )
    return "merged"


def _dismiss(deps: Deps, case_id: int, other: int, user: str) -> str:
    with deps.db.session() as s:
        merges.dismiss(s, case_id, other, actor=user, surface=Surface.BUTTON, now=deps.time.now())
    return "dismissed"


def _state(deps: Deps, *ids: int) -> list[tuple[str, int | None]]:
    with deps.db.read() as s:
        return [(c.status, c.merged_into) for i in ids if (c := s.get(Case, i))]


def test_a_into_b_while_b_into_a_merges_one_way_only(
    deps: Deps, http: FlaskClient, time_source: ManualTime
) -> None:
    for n in range(ROUNDS):
        a, b = _pair(http, time_source, n)
        results = _race(
            [partial(_merge, deps, a, b, "U0ANA0001"), partial(_merge, deps, b, a, "U0BEN0002")]
        )
        [lost] = [r for r in results if isinstance(r, MergeRefused)]
        assert [r for r in results if isinstance(r, str)] == ["merged"], results
        assert lost.why in (Why.MERGED, Why.INTO_MERGED)
        states = dict(zip((a, b), _state(deps, a, b), strict=True))
        [kept] = [i for i, (status, _) in states.items() if status == "open"]
        [gone] = [i for i in (a, b) if i != kept]
        assert states[gone] == ("merged", kept)
        with deps.db.read() as s:
            posts = s.exec(select(Post).where(col(Post.case_id).in_([a, b]))).all()
            assert {p.case_id for p in posts} == {kept}
            merged = count(s, Event, Event.kind == "merged", col(Event.case_id).in_([a, b]))
            assert merged == 2


def test_merge_against_not_the_same_one_wins(
    deps: Deps, http: FlaskClient, time_source: ManualTime
) -> None:
    for n in range(ROUNDS):
        older, newer = _pair(http, time_source, n)
        results = _race(
            [
                partial(_merge, deps, newer, older, "U0ANA0001", suggested=True),
                partial(_dismiss, deps, newer, older, "U0BEN0002"),
            ]
        )
        won = [r for r in results if isinstance(r, str)]
        lost = [r for r in results if isinstance(r, MergeRefused)]
        assert len(won) == 1 and len(lost) == 1, results
        with deps.db.read() as s:
            merged = s.get(Case, newer)
            dismissed = count(s, MergeDismissal, MergeDismissal.high_id == newer)
            assert (merged.status == "merged") == (won[0] == "merged")
            assert dismissed == (1 if won[0] == "dismissed" else 0)
            assert merged.suggested_merge is None


def test_many_merge_clicks_merge_once(
    deps: Deps, http: FlaskClient, time_source: ManualTime
) -> None:
    older, newer = _pair(http, time_source, 0)
    results = _race(
        [
            lambda u=u: _merge(deps, newer, older, u, suggested=True)
            for u in ("U1", "U2", "U3", "U4")
        ]
    )
    assert [r for r in results if isinstance(r, str)] == ["merged"], results
    assert all(isinstance(r, MergeRefused) for r in results if not isinstance(r, str))
    assert _state(deps, older, newer) == [("open", None), ("merged", older)]
    with deps.db.read() as s:
        assert count(s, Event, Event.kind == "merged") == 2
