"""What finding the similar cases costs per new case as the window grows
(`python -m bench.problems_matcher`).

The window is filled with 1k, 10k and 100k open cases: the labelled set's posts and
synthetic ones drawn from a Zipf-distributed vocabulary made of the labelled set's own
words (so the stems a lookup walks are in thousands of cases), each with its own
order number. Then each
labelled post is looked up as a new case: through the matcher's inverted index
(`similar`) and by scanning every case (`brute_force`), in the same run. Recall is the
share of the scan's matches the index also returns: of all of them (most are word
soups that share two common words with the post), and of the labelled posts among them
(the real similar posts). Postings keep the most recent `per_token` cases per stem, so
an older case that shares only common stems with the new one can be missed.
"""

from __future__ import annotations

import random
import statistics
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from bench.problems_eval import Post, load
from bot.problems.similarity import Matcher
from bot.problems.text import tokens

SIZES = (1_000, 10_000, 100_000)
VOCABULARY = 20_000
BRAND = ("brightbox",)


def _rss() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return 0.0


def _synthetic(rng: random.Random, n: int, posts: list[Post]) -> list[str]:
    """Posts made of the labelled set's own words, most frequent first, then rarer
    made-up ones: so "app", "delivery", "checkout" are in thousands of cases, as in a
    real window, and the lookups walk full postings."""
    counts = Counter(t for p in posts for t in tokens(p.text, frozenset(BRAND)))
    words = [w for w, _ in counts.most_common()]
    words += [f"w{i}" for i in range(VOCABULARY - len(words))]
    weights = [1 / (i + 1) for i in range(len(words))]
    return [
        " ".join(rng.choices(words, weights, k=rng.randint(6, 16))) + f" BB-{rng.randrange(10**6)}"
        for _ in range(n)
    ]


def run(size: int, rng: random.Random) -> tuple[float, ...]:
    posts = load()
    start = datetime(2026, 3, 16, 9, tzinfo=UTC)
    matcher = Matcher(ignore=BRAND, window=timedelta(days=1))
    fill = _synthetic(rng, size - len(posts), posts)
    texts = [p.text for p in posts] + fill
    real = {p.text for p in posts}
    rng.shuffle(texts)
    before = _rss()
    for i, text in enumerate(texts):
        matcher.add(f"c{i}", text, start + timedelta(seconds=i * 3600 / size))
    memory = _rss() - before
    now = start + timedelta(hours=1)
    labelled = {f"c{i}" for i, text in enumerate(texts) if i < len(texts) and text in real}
    fast, slow, found, expected, found_real, expected_real = [], [], 0, 0, 0, 0
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
        got_ids, want_ids = {c.case_id for c in got}, {c.case_id for c in want}
        found += len(got_ids & want_ids)
        expected += len(want_ids)
        found_real += len(got_ids & want_ids & labelled)
        expected_real += len(want_ids & labelled)
    p99 = statistics.quantiles(fast, n=100)[98]
    return (
        statistics.median(fast) * 1e3,
        p99 * 1e3,
        statistics.median(slow) * 1e3,
        found / expected if expected else 1.0,
        found_real / expected_real if expected_real else 1.0,
        memory,
    )


def main() -> None:
    rng = random.Random(12)
    print(
        "| open cases in the window | index: median | p99 | brute-force scan: median "
        "| index recall vs scan: all matches | labelled posts | index RSS |"
    )
    print("|---|---|---|---|---|---|---|")
    for size in SIZES:
        med, p99, scan, recall, recall_real, memory = run(size, rng)
        print(
            f"| {size:,} | {med:.3f} ms | {p99:.3f} ms | {scan:.2f} ms | {recall:.3f} "
            f"| {recall_real:.3f} | {memory:.0f} MiB |"
        )


if __name__ == "__main__":
    main()
