"""`Database.writer_turn`: ingest batches of different processes queue for SQLite's one
writer on a lock file instead of polling in the busy handler; elsewhere no wait."""

from __future__ import annotations

import multiprocessing
import threading
import time
from typing import Any

import pytest
from sqlalchemy import text

from bot.deps import Deps
from bot.groupcommit import GroupCommit
from bot.posts import Author, IncomingPost
from storage.db import Database
from storage.models import Post
from tests.conftest import count


def _hold_turn(url: str, entered: object, release: object) -> None:
    """In another process: take the turn and keep it until told."""
    db = Database(url)
    with db.writer_turn():
        entered.set()  # type: ignore[attr-defined]
        release.wait(10)  # type: ignore[attr-defined]
    db.dispose()


@pytest.mark.both_db
def test_a_second_process_waits_for_the_turn_and_gets_it_when_released(
    db: Database, db_url: str, backend: str
) -> None:
    ctx = multiprocessing.get_context("spawn")
    entered, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_turn, args=(db_url, entered, release))
    holder.start()
    try:
        assert entered.wait(30)
        got = threading.Event()

        def take() -> None:
            with db.writer_turn():
                got.set()

        taker = threading.Thread(target=take)
        taker.start()
        if backend == "sqlite":
            assert not got.wait(0.3), "the turn was taken while another process held it"
            release.set()
            t0 = time.monotonic()
            assert got.wait(5)
            assert time.monotonic() - t0 < 1.0  # woken at the release, not by polling
        else:
            assert got.wait(5), "PostgreSQL has no single writer: no turn to wait for"
        taker.join(5)
    finally:
        release.set()
        holder.join(10)


def test_threads_of_one_process_take_turns(db: Database) -> None:
    """On SQLite. `flock` alone would let two threads sharing one descriptor in together."""
    inside, most = 0, 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal inside, most
        for _ in range(20):
            with db.writer_turn():
                with lock:
                    inside += 1
                    most = max(most, inside)
                time.sleep(0.001)
                with lock:
                    inside -= 1

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most == 1


def test_a_database_whose_writes_take_turns_waits_in_every_session(
    db: Database, db_url: str
) -> None:
    """On SQLite. The worker's sessions (`writes_take_turns`) queue behind another
    process's ingest batch on the lock file, and a session inside a turn it already has
    (a batch's own session) goes straight in."""
    ctx = multiprocessing.get_context("spawn")
    entered, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_turn, args=(db_url, entered, release))
    holder.start()
    db.writes_take_turns = True
    try:
        assert entered.wait(30)
        got = threading.Event()

        def write() -> None:
            with db.session() as session:
                session.execute(text("SELECT 1"))
                got.set()

        writer = threading.Thread(target=write)
        writer.start()
        assert not got.wait(0.3), "the session began while another process had the turn"
        release.set()
        assert got.wait(5)
        writer.join(5)
        with db.writer_turn(), db.session() as session:
            assert session.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        release.set()
        holder.join(10)


def test_an_ingest_batch_is_taken_once_the_turn_is_had(
    deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite. The posts that come while a batch's leader waits for its turn (another
    process writing) are in its batch, not in the next one."""
    posts = GroupCommit(deps.db, deps.config)
    sizes: list[int] = []
    real_run = GroupCommit._run

    def run(self: GroupCommit, batch: list[Any]) -> None:
        sizes.append(len(batch))
        real_run(self, batch)

    monkeypatch.setattr(GroupCommit, "_run", run)
    entered, release = threading.Event(), threading.Event()

    def hold() -> None:
        with deps.db.writer_turn():
            entered.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert entered.wait(5)
    senders = [
        threading.Thread(target=posts.store, args=(sample(n),), kwargs={"now": deps.time.now()})
        for n in range(8)
    ]
    senders[0].start()
    deadline = time.monotonic() + 5
    while not posts._leading:
        assert time.monotonic() < deadline, "no leader"
        time.sleep(0.01)
    for sender in senders[1:]:
        sender.start()
    while len(posts._queue) < 8:
        assert time.monotonic() < deadline, f"{len(posts._queue)} queued"
        time.sleep(0.01)
    release.set()
    for thread in [holder, *senders]:
        thread.join(10)
    assert sizes == [8]
    with deps.db.session() as session:
        assert count(session, Post) == 8


def sample(n: int) -> IncomingPost:
    return IncomingPost(
        source="twitter", external_id=f"t{n}", text=f"Parcel {n} lost", author=Author(id=f"a{n}")
    )
