"""What finding the similar cases costs per new case as the window grows
(`python -m bench.problems_matcher`).

The window is filled with 1k, 10k and 100k open cases: the labelled set's posts and
synthetic ones drawn from a Zipf-distributed vocabulary (so some stems are in most
posts, as "app" and "delivery" are), each with its own order number. Then each
labelled post is looked up as a new case: through the matcher's inverted index
(`similar`) and by scanning every case (`brute_force`), in the same run. Recall is the
share of the scan's matches the index also returns (postings keep the most recent
`per_token` cases per stem, so a very old match that shares only common stems can be
missed).
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from bench.problems_eval import load
from bot.problems.similarity import Matcher

SIZES = (1_000, 10_000, 100_000)
VOCABULARY = 20_000
BRAND = ("brightbox",)


def _rss() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return 0.0


def _synthetic(rng: random.Random, n: int) -> list[str]:
    words = [f"w{i}" for i in range(VOCABULARY)]
    weights = [1 / (i + 1) for i in range(VOCABULARY)]
    return [
        " ".join(rng.choices(words, weights, k=rng.randint(6, 16))) + f" BB-{rng.randrange(10**6)}"
        for _ in range(n)
    ]


def run(size: int, rng: random.Random) -> tuple[float, float, float, float, float]:
    posts = load()
    start = datetime(2026, 3, 16, 9, tzinfo=UTC)
    matcher = Matcher(ignore=BRAND, window=timedelta(days=1))
    fill = _synthetic(rng, size - len(posts))
    texts = [p.text for p in posts] + fill
    rng.shuffle(texts)
    before = _rss()
    for i, text in enumerate(texts):
        matcher.add(f"c{i}", text, start + timedelta(seconds=i * 3600 / size))
    memory = _rss() - before
    now = start + timedelta(hours=1)
    fast, slow, found, expected = [], [], 0, 0
    for n, post in enumerate(posts):
        case_id = f"q{n}"
        matcher.add(case_id, post.text, now)
        t0 = time.perf_counter()
        got = matcher.similar(case_id)
        fast.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        want = matcher.brute_force(case_id)
        slow.append(time.perf_counter() - t0)
        matcher.remove(case_id)
        found += len({c.case_id for c in got} & {c.case_id for c in want})
        expected += len(want)
    p99 = statistics.quantiles(fast, n=100)[98]
    return (
        statistics.median(fast) * 1e3,
        p99 * 1e3,
        statistics.median(slow) * 1e3,
        found / expected if expected else 1.0,
        memory,
    )


def main() -> None:
    rng = random.Random(12)
    print(
        "| open cases in the window | index: median | p99 | brute-force scan: median "
        "| index recall vs scan | index RSS |"
    )
    print("|---|---|---|---|---|---|")
    for size in SIZES:
        med, p99, scan, recall, memory = run(size, rng)
        print(
            f"| {size:,} | {med:.3f} ms | {p99:.3f} ms | {scan:.2f} ms | {recall:.3f} "
            f"| {memory:.0f} MiB |"
        )


if __name__ == "__main__":
    main()
