"""Group commit: posts that arrive together share a transaction, and each still stands
alone: one case per post, a failure stays with its post, no answer before the commit."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from bot import groupcommit, intake
from bot.deps import Deps
from bot.groupcommit import GroupCommit
from bot.intake import Received
from bot.posts import Author, IncomingPost
from storage.models import Case, Customer, Event, Outbox, Post
from tests.conftest import count

pytestmark = pytest.mark.both_db


def _post(n: int, **kw: Any) -> IncomingPost:
    return IncomingPost(
        source="twitter",
        external_id=f"g{n}",
        text=f"My parcel {n} never arrived",
        author=Author(id=f"a{n}", handle=f"@c{n}"),
        **kw,
    )


def _race(n: int, work: Callable[[int], Any]) -> list[Any]:
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


class Held:
    """Holds the first batch's leader inside `intake.receive` until told, so the posts
    sent meanwhile queue up and make the next batch: batching becomes deterministic."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail_on: str | None = None) -> None:
        self.release = threading.Event()
        self.entered = threading.Event()
        self.fail_on = fail_on
        real = intake.receive

        def receive(session: Session, post: IncomingPost, **kw: Any) -> Received:
            if not self.entered.is_set():
                self.entered.set()
                self.release.wait(10)
            result = real(session, post, **kw)
            if post.external_id == self.fail_on:
                raise ValueError("this post cannot be stored")
            return result

        monkeypatch.setattr(groupcommit.intake, "receive", receive)


def _queued(posts: GroupCommit, n: int) -> None:
    deadline = time.monotonic() + 10
    while len(posts._queue) < n:
        assert time.monotonic() < deadline, f"{len(posts._queue)} queued, want {n}"
        time.sleep(0.01)


def _in_threads(work: Callable[[int], Any], ns: list[int]) -> Iterator[threading.Thread]:
    for n in ns:
        t = threading.Thread(target=work, args=(n,))
        t.start()
        yield t


def test_concurrent_copies_of_posts_make_one_case_each(deps: Deps) -> None:
    """16 deliveries of 4 posts at once, through two batchers (two web processes)."""
    batchers = [GroupCommit(deps.db, deps.config), GroupCommit(deps.db, deps.config)]

    def send(i: int) -> Received:
        return batchers[i % 2].store(_post(i % 4), now=deps.time.now())

    results = _race(16, send)
    assert not [r for r in results if isinstance(r, Exception)], results
    for n in range(4):
        mine = [r for i, r in enumerate(results) if i % 4 == n]
        assert sorted(r.duplicate for r in mine) == [False, True, True, True]
        assert len({(r.case_id, r.post_id) for r in mine}) == 1
    with deps.db.session() as s:
        assert count(s, Post) == 4
        assert count(s, Case) == 4
        assert count(s, Customer) == 4
        assert count(s, Event, Event.kind == "opened") == 4


def test_posts_sent_together_share_one_commit(deps: Deps, monkeypatch: pytest.MonkeyPatch) -> None:
    posts = GroupCommit(deps.db, deps.config)
    held = Held(monkeypatch)
    commits = []
    real_commit = Session.commit

    def commit(session: Session) -> None:
        commits.append(len(session.new) + len(session.identity_map))
        real_commit(session)

    monkeypatch.setattr(Session, "commit", commit)
    results: dict[int, Received] = {}

    def send(n: int) -> None:
        results[n] = posts.store(_post(n), now=deps.time.now())

    first = list(_in_threads(send, [0]))
    assert held.entered.wait(10)
    rest = list(_in_threads(send, list(range(1, 9))))
    _queued(posts, 8)
    held.release.set()
    for t in first + rest:
        t.join()
    assert len(commits) == 2, "one commit for the first post, one for the eight queued"
    assert sorted(results) == list(range(9))
    assert len({r.case_id for r in results.values()}) == 9
    with deps.db.session() as s:
        assert count(s, Post) == 9


def test_a_batch_is_taken_once_its_leader_has_the_turn_to_write(
    deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The posts that come while a batch's leader waits for its process's turn (another
    process writing to SQLite) are in its batch, not in the next one."""
    posts = GroupCommit(deps.db, deps.config)
    release = threading.Event()
    real_turn = deps.db.writer_turn

    @contextmanager
    def other_process_writing() -> Iterator[None]:
        release.wait(10)
        with real_turn():
            yield

    monkeypatch.setattr(deps.db, "writer_turn", other_process_writing)
    sizes: list[int] = []
    real_run = GroupCommit._run

    def run(self: GroupCommit, batch: list[Any]) -> None:
        sizes.append(len(batch))
        real_run(self, batch)

    monkeypatch.setattr(GroupCommit, "_run", run)

    def send(n: int) -> None:
        posts.store(_post(n), now=deps.time.now())

    first = list(_in_threads(send, [0]))
    deadline = time.monotonic() + 10
    while not posts._leading:
        assert time.monotonic() < deadline, "no leader"
        time.sleep(0.01)
    rest = list(_in_threads(send, list(range(1, 8))))
    _queued(posts, 8)
    release.set()
    for t in first + rest:
        t.join(10)
    assert sizes == [8]
    with deps.db.session() as s:
        assert count(s, Post) == 8


def test_a_failing_post_fails_alone(deps: Deps, monkeypatch: pytest.MonkeyPatch) -> None:
    posts = GroupCommit(deps.db, deps.config)
    held = Held(monkeypatch, fail_on="g5")
    results: dict[int, Received | Exception] = {}

    def send(n: int) -> None:
        try:
            results[n] = posts.store(_post(n), now=deps.time.now())
        except Exception as exc:
            results[n] = exc

    first = list(_in_threads(send, [0]))
    assert held.entered.wait(10)
    rest = list(_in_threads(send, list(range(1, 9))))
    _queued(posts, 8)
    held.release.set()
    for t in first + rest:
        t.join()
    assert isinstance(results.pop(5), ValueError)
    assert all(isinstance(r, Received) and not r.duplicate for r in results.values()), results
    with deps.db.session() as s:
        assert count(s, Post) == 8
        assert count(s, Post, Post.external_id == "g5") == 0
        assert count(s, Case) == 8
        assert count(s, Customer) == 8
        assert count(s, Event) == 8
        # Every stored case has its card; none is queued for the post that failed.
        cards = count(s, Outbox, Outbox.kind == "card")
        assert cards == 8


def test_a_failed_commit_answers_every_post_with_the_error(
    deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    posts = GroupCommit(deps.db, deps.config)
    held = Held(monkeypatch)
    real_commit = Session.commit
    calls = []

    def commit(session: Session) -> None:
        calls.append(1)
        if len(calls) in (2, 3):  # the batch of eight, both tries
            raise OperationalError("COMMIT", {}, Exception("disk I/O error"))
        real_commit(session)

    monkeypatch.setattr(Session, "commit", commit)
    results: dict[int, Received | Exception] = {}

    def send(n: int) -> None:
        try:
            results[n] = posts.store(_post(n), now=deps.time.now())
        except Exception as exc:
            results[n] = exc

    first = list(_in_threads(send, [0]))
    assert held.entered.wait(10)
    rest = list(_in_threads(send, list(range(1, 9))))
    _queued(posts, 8)
    held.release.set()
    for t in first + rest:
        t.join()
    assert isinstance(results[0], Received)
    assert all(isinstance(results[n], OperationalError) for n in range(1, 9)), results
    with deps.db.session() as s:
        assert count(s, Post) == 1
        assert count(s, Case) == 1
    # The next post is stored as if nothing happened, and a retried one too.
    assert not posts.store(_post(3), now=deps.time.now()).duplicate
    with deps.db.session() as s:
        assert count(s, Post) == 2


def test_two_copies_in_one_batch_are_one_post(deps: Deps, monkeypatch: pytest.MonkeyPatch) -> None:
    posts = GroupCommit(deps.db, deps.config)
    held = Held(monkeypatch)
    results: dict[int, Received] = {}

    def send(n: int) -> None:
        results[n] = posts.store(_post(0 if n == 0 else 1), now=deps.time.now())

    first = list(_in_threads(send, [0]))
    assert held.entered.wait(10)
    rest = list(_in_threads(send, [1, 2]))
    _queued(posts, 2)
    held.release.set()
    for t in first + rest:
        t.join()
    assert sorted(results[n].duplicate for n in (1, 2)) == [False, True]
    assert results[1].case_id == results[2].case_id
    with deps.db.session() as s:
        assert count(s, Post) == 2
        assert count(s, Case) == 2


def test_a_rolled_back_post_takes_back_its_pending_sets() -> None:
    """The problem card's "refresh already queued" set lives in `session.info` too: a
    post whose savepoint rolled back must not leave its problem marked as queued (its
    outbox row is gone with the savepoint), or the card would miss the next change."""
    info: dict[str, Any] = {"casebot.problem_card_pending": {1}}
    saved = groupcommit._snapshot(info)
    info["casebot.problem_card_pending"].add(2)
    groupcommit._restore(info, saved)
    assert info["casebot.problem_card_pending"] == {1}
