"""How fast the worker empties the detection queue after a burst (`bot.problems.queue`).

A burst of new cases is stored through the intake (group-commit sized batches), which
only queues them; then `detect_queued` runs as the worker runs it, and the time per
case is printed. Two bursts: a storm (every post about one cause: the first five open a
problem, every later one joins it, the costly path) and posts that resemble nothing
(each one looked up and left alone). With a burst of N posts, the last one's problem
is known about N x (ms per case) after the burst, plus the worker's next round.

Run: `python -m bench.detection [CASES] [sqlite|postgresql]` (default 2,000, both).
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select

from bench.common import EXAMPLE, database
from bot import intake
from bot.posts import Author, IncomingPost
from bot.problems.queue import detect_queued
from config.load import load_config
from storage.db import Database
from storage.models import Case

CASES = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 2000
BACKENDS = [a for a in sys.argv[1:] if a in ("sqlite", "postgresql")] or ["sqlite", "postgresql"]
BATCH = 64
NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)
BURSTS = {
    "storm": "Checkout crashes on app 5.2, order {i} lost",
    "unrelated": "My order {i} never arrived, please refund",
}


def burst(backend: str, name: str) -> str:
    config = load_config(EXAMPLE)
    with database(backend) as url:
        db = Database(url)
        for start in range(0, CASES, BATCH):
            posts = [
                IncomingPost(
                    source="twitter",
                    external_id=f"x{i}",
                    text=BURSTS[name].format(i=i),
                    author=Author(id=f"a{i}", handle=f"@c{i}"),
                    conversation_id=f"t{i}",
                )
                for i in range(start, min(CASES, start + BATCH))
            ]
            at = NOW + timedelta(seconds=start / 100)
            intake.store_all(db, posts, now=at, config=config)
        t0 = time.perf_counter()
        done = detect_queued(db, config)
        took = time.perf_counter() - t0
        with db.read() as s:
            linked = s.exec(
                select(func.count(col(Case.id))).where(col(Case.problem_id).is_not(None))
            ).one()
        db.dispose()
    assert done == CASES, f"{done} detected of {CASES}"
    return (
        f"detection {backend:10s} {name:9s}: {CASES:,} cases in {took:.2f} s,"
        f" {took / done * 1000:.2f} ms a case ({done / took:,.0f}/s), {linked:,} linked"
    )


def main() -> None:
    for backend in BACKENDS:
        for name in BURSTS:
            print(burst(backend, name), flush=True)


if __name__ == "__main__":
    main()
