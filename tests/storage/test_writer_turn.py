"""`Database.writer_turn`: ingest batches of different processes queue for SQLite's one
writer on a lock file instead of polling in the busy handler; elsewhere no wait."""

from __future__ import annotations

import multiprocessing
import threading
import time

import pytest
from sqlalchemy import text

from storage.db import Database


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
