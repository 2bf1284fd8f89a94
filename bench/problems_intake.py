"""What a case costs with its problem detection at 1k, 10k and 100k open cases in the
window, beside intake without it, in the same run (`python -m bench.problems_intake`, part of
`make bench`; `--sizes 1000,10000` for fewer).

The window is bulk-loaded with open cases and their `case_terms` (`soups`), spread
over the last hour. Then the labelled
set's posts arrive one by one through `bot.intake.receive`, each in its own unit of
work, alternately with detection on and off, so both see the same database and the
same load; with it on, the worker's detection of the queued case
(`bot.problems.queue.detect_queued`, its own transaction) is timed with the intake.
Printed: median and p99 per size and backend, and the ratio.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, text

from bench.common import EXAMPLE, database
from bench.problems_eval import Post, load
from bot.intake import receive
from bot.posts import Author, IncomingPost
from bot.problems.queue import detect_queued
from bot.problems.similarity import stems
from bot.problems.text import tokens
from config.load import load_config
from config.schema import CasebotConfig
from storage.db import Database
from storage.models import Case, Customer
from storage.problem_tables import CaseTerm

SIZES = (1_000, 10_000, 100_000)
VOCABULARY = 20_000
BRAND = frozenset({"brightbox"})
NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
BATCH = 5_000


def soups(rng: random.Random, n: int, posts: list[Post]) -> list[str]:
    """Word soups of 6-16 words from a Zipf-distributed vocabulary (rank offset 50, so
    the most common word is in ~4 % of cases, as a common word of real complaints),
    each with one word of the labelled set's own (so every word a labelled post is
    looked up by is in ~n/800 cases: past `PER_TERM` from 10k on) and an order number.
    One shared word is not enough for similarity, so the arrivals rarely match the
    fill: what is measured is finding candidates, not linking hundreds of them."""
    real = sorted({t for p in posts for t in tokens(p.text, BRAND)})
    words = [f"w{i}" for i in range(VOCABULARY)]
    weights = [1 / (i + 50) for i in range(len(words))]
    return [
        " ".join([*rng.choices(words, weights, k=rng.randint(5, 15)), rng.choice(real)])
        + f" BB-{rng.randrange(10**6)}"
        for _ in range(n)
    ]


def fill(db: Database, size: int, rng: random.Random, posts: list[Post]) -> float:
    """`size` open cases of the last hour with their terms; returns seconds taken."""
    t0 = time.perf_counter()
    with db.session() as s:
        s.execute(insert(Customer), [{"name": "bulk", "tier": "standard", "created_at": NOW}])
    for start in range(0, size, BATCH):
        texts = soups(rng, min(BATCH, size - start), posts)
        at = [NOW - timedelta(seconds=3600 * (1 - (start + i) / size)) for i in range(len(texts))]
        with db.session() as s:
            first = start + 1
            s.execute(
                insert(Case),
                [
                    {
                        "id": first + i,
                        "department": "support",
                        "status": "open",
                        "priority": "normal",
                        "priority_reason": "",
                        "tags": [],
                        "customer_id": 1,
                        "source": "web",
                        "escalations": 0,
                        "pauses": [],
                        "created_at": at[i],
                        "updated_at": at[i],
                    }
                    for i in range(len(texts))
                ],
            )
            terms = [stems(body, BRAND) for body in texts]
            s.execute(
                insert(CaseTerm),
                [
                    {"case_id": first + i, "term": term, "at": at[i], "size": len(mine)}
                    for i, mine in enumerate(terms)
                    for term in mine
                ],
            )
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("SELECT setval('cases_id_seq', :n)"), {"n": size + 1})
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
        conn.commit()
    return time.perf_counter() - t0


def _config(on: bool) -> CasebotConfig:
    config = load_config(EXAMPLE)
    problems = config.problems.model_copy(update={"enabled": on, "ignore": sorted(BRAND)})
    return config.model_copy(update={"problems": problems})


def arrivals(db: Database, posts: list[Post], size: int) -> dict[bool, list[float]]:
    """Each labelled post once, detection on and off in turn; seconds per intake."""
    configs = {True: _config(True), False: _config(False)}
    took: dict[bool, list[float]] = {True: [], False: []}
    for n, post in enumerate(posts):
        on = n % 2 == 0
        incoming = IncomingPost(
            source=post.source,
            external_id=f"{size}-{post.id}",
            text=post.text,
            author=Author(id=f"bench-{n}", name="Bench"),
        )
        at = NOW + timedelta(seconds=n)
        t0 = time.perf_counter()
        with db.session() as s:
            receive(s, incoming, now=at, config=configs[on])
        if on:
            detect_queued(db, configs[on])
        took[on].append(time.perf_counter() - t0)
    return took


def _ms(values: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(values, n=100)
    return statistics.median(values) * 1000, q[98] * 1000


def run(backend: str, size: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    posts = load()
    with database(backend) as url:
        db = Database(url)
        loaded = fill(db, size, rng, posts)
        took = arrivals(db, posts, size)
        db.dispose()
    (on50, on99), (off50, off99) = _ms(took[True]), _ms(took[False])
    print(
        f"problems.intake {backend:10s} {size:>7,} open cases (loaded in {loaded:.0f}s):"
        f" with detection p50 {on50:.1f} ms p99 {on99:.1f} ms |"
        f" without p50 {off50:.1f} ms p99 {off99:.1f} ms | p50 ratio {on50 / off50:.2f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        for size in (int(s) for s in args.sizes.split(",")):
            run(backend, size)


if __name__ == "__main__":
    main()
