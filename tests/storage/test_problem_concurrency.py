"""A storm arrives in parallel (several web workers) and is detected by workers racing
each other: still exactly one problem, every case linked to it, none left over in a
problem of its own, none detected twice."""

from __future__ import annotations

import pytest

from bot import intake
from bot.deps import Deps
from bot.posts import Author, IncomingPost
from bot.problems.queue import detect_queued
from storage.models import Case
from storage.problem_tables import Problem, QueuedDetection
from tests.conftest import count
from tests.handlers.slack.problems.storm import storm
from tests.storage.test_concurrency import _race

pytestmark = pytest.mark.both_db

N = 12


def test_a_storm_ingested_in_parallel_is_one_problem(deps: Deps) -> None:
    texts = storm(N)

    def post(i: int) -> int:
        incoming = IncomingPost(
            source="web", external_id=f"s{i}", text=texts[i], author=Author(id=f"a{i}")
        )
        return intake.store(deps.db, incoming, now=deps.time.now(), config=deps.config).case_id

    results = _race(N, post)
    assert all(isinstance(r, int) for r in results), results
    detected = _race(4, lambda _i: detect_queued(deps.db, deps.config))
    assert sum(detected) == N, detected
    with deps.db.session() as s:
        assert count(s, QueuedDetection) == 0
        assert count(s, Problem) == 1
        assert count(s, Case, Case.problem_id == 1) == N
