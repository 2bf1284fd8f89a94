"""Atomicity that lives in the database: simultaneous claims and simultaneous duplicates."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from bot import cases, intake
from bot.deps import Deps
from bot.events import AlreadyClaimed
from bot.ids import Surface
from bot.posts import Author, IncomingPost
from storage.models import Case, Event, Post
from tests.conftest import count, post_json, sample_post

pytestmark = pytest.mark.both_db

N = 20


def _race(n: int, work: Callable[[int], Any]) -> list[Any]:
    """Run `work(i)` in n threads released at the same instant; collect results/errors."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_twenty_simultaneous_claims_leave_exactly_one_owner(deps: Deps, http: FlaskClient) -> None:
    post_json(http, "web", sample_post(1))

    def claim(i: int) -> str:
        with deps.db.session() as s:
            cases.claim(s, 1, actor=f"U{i:04d}XX", surface=Surface.BUTTON, now=deps.time.now())
        return f"U{i:04d}XX"

    results = _race(N, claim)
    winners = [r for r in results if isinstance(r, str)]
    losers = [r for r in results if isinstance(r, AlreadyClaimed)]
    assert len(winners) == 1 and len(losers) == N - 1, results
    assert {loser.owner for loser in losers} == set(winners)
    with deps.db.session() as s:
        assert s.get(Case, 1).owner_id == winners[0]
        assert count(s, Event, Event.kind == "claimed") == 1


def test_simultaneous_deliveries_of_one_post_store_it_once(deps: Deps) -> None:
    post = IncomingPost(source="twitter", external_id="dup-1", text="hi", author=Author(id="a1"))

    def receive(_: int) -> bool:
        return intake.store(deps.db, post, now=deps.time.now(), config=deps.config).duplicate

    results = _race(8, receive)
    assert sorted(results) == [False] + [True] * 7, results
    with deps.db.session() as s:
        assert count(s, Post) == 1
        assert count(s, Case) == 1
