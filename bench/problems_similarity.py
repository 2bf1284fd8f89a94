"""Which similarity separates posts with one root cause from unrelated ones, and at what
cost (`python -m bench.problems_similarity`).

On the labelled set (tests/data/problems/labelled.jsonl) every scorer is swept over
thresholds: pairwise precision/recall/F1 over all pairs, then the problem-level outcome
of arrivals in time order (min_cases, window, `bot.problems.detect`). Routing tags are
tried three ways: ignored, as a gate (posts a rule tagged differently never match), and
gate plus a bonus for a shared tag. Then the cost of one comparison, and what importing
each library costs a serving process (time and RSS, each in a fresh interpreter).
"""

from __future__ import annotations

import math
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process
from sklearn.feature_extraction.text import TfidfVectorizer

from bench.problems_eval import MatcherIndex, Outcome, Post, load, simulate
from bot.problems.detect import DEFAULT_MIN_LINKS, Candidate
from bot.problems.similarity import DEFAULT_THRESHOLD, DEFAULT_WINDOW, Matcher, stems

THRESHOLDS = [round(float(t), 2) for t in np.arange(0.05, 0.96, 0.05)]
TAG_BONUS = 0.1
BRAND = ("brightbox",)  # the company's own name: in a third of the posts, says nothing
CHOSEN = "stem-set cosine (chosen)"


def _stem_strings(posts: list[Post], ignore: tuple[str, ...] = BRAND) -> list[str]:
    return [" ".join(sorted(stems(p.text, frozenset(ignore)))) for p in posts]


def _ochiai(posts: list[Post]) -> np.ndarray:
    sets = [stems(p.text, frozenset(BRAND)) for p in posts]
    m = np.zeros((len(posts), len(posts)))
    for i, a in enumerate(sets):
        for j, b in enumerate(sets):
            if a and b:
                m[i, j] = len(a & b) / math.sqrt(len(a) * len(b))
    return m


def _rapidfuzz(
    scorer: Callable[..., float], raw: bool = False
) -> Callable[[list[Post]], np.ndarray]:
    def matrix(posts: list[Post]) -> np.ndarray:
        texts = [p.text.lower() for p in posts] if raw else _stem_strings(posts)
        return np.asarray(process.cdist(texts, texts, scorer=scorer), dtype=float) / 100.0

    return matrix


def _tfidf(**options: Any) -> Callable[[list[Post]], np.ndarray]:
    def matrix(posts: list[Post]) -> np.ndarray:
        x = TfidfVectorizer(sublinear_tf=True, **options).fit_transform(_stem_strings(posts))
        return np.asarray((x @ x.T).todense(), dtype=float)

    return matrix


SCORERS: dict[str, Callable[[list[Post]], np.ndarray]] = {
    CHOSEN: _ochiai,
    "rapidfuzz token_set_ratio": _rapidfuzz(fuzz.token_set_ratio),
    "rapidfuzz token_set_ratio, raw text": _rapidfuzz(fuzz.token_set_ratio, raw=True),
    "rapidfuzz token_sort_ratio": _rapidfuzz(fuzz.token_sort_ratio),
    "rapidfuzz WRatio": _rapidfuzz(fuzz.WRatio),
    "tfidf word 1-2 (sklearn)": _tfidf(analyzer="word", ngram_range=(1, 2), token_pattern=r"\S+"),
    "tfidf char_wb 3-5 (sklearn)": _tfidf(analyzer="char_wb", ngram_range=(3, 5)),
}


def with_tags(m: np.ndarray, posts: list[Post], how: str) -> np.ndarray:
    """Routing tags: ignored, a gate (tagged apart -> 0), or a gate and a bonus."""
    if how == "none":
        return m
    out = m.copy()
    for i, a in enumerate(posts):
        for j, b in enumerate(posts):
            if a.tags and b.tags and not a.tags & b.tags:
                out[i, j] = 0.0
            elif how == "gate+bonus" and a.tags & b.tags:
                out[i, j] = min(1.0, out[i, j] + TAG_BONUS)
    return out


class MatrixIndex:
    """`Index` over a precomputed similarity matrix, so a sweep scores nothing twice."""

    def __init__(self, m: np.ndarray, posts: list[Post], threshold: float, window: timedelta):
        self.m, self.posts, self.threshold, self.window = m, posts, threshold, window
        self.row = {p.id: i for i, p in enumerate(posts)}
        self.live: dict[str, None] = {}
        self.problem: dict[str, str | None] = {}

    def expire(self, now: datetime) -> object:
        for case_id in [c for c in self.live if self.posts[self.row[c]].at < now - self.window]:
            del self.live[case_id]
        return None

    def add(self, post: Post) -> None:
        self.live[post.id] = None

    def link(self, case_id: str, problem: str | None) -> None:
        self.problem[case_id] = problem

    def similar(self, case_id: str) -> list[Candidate]:
        i = self.row[case_id]
        found = [
            Candidate(c, float(self.m[i, self.row[c]]), self.problem.get(c))
            for c in self.live
            if c != case_id and self.m[i, self.row[c]] >= self.threshold
        ]
        return sorted(found, key=lambda c: (-c.score, c.case_id))


def pairwise_best(m: np.ndarray, posts: list[Post]) -> tuple[float, float, float, float]:
    """(threshold, precision, recall, F1) with the best F1 over all pairs."""
    labels = np.array([p.cluster or f"~{p.id}" for p in posts])
    iu = np.triu_indices(len(posts), k=1)
    truth = labels[iu[0]] == labels[iu[1]]
    values = m[iu]
    rows = []
    for t in THRESHOLDS:
        said = values >= t
        tp = int(np.sum(said & truth))
        p = tp / max(1, int(np.sum(said)))
        r = tp / max(1, int(np.sum(truth)))
        rows.append((t, p, r, 2 * p * r / (p + r) if p + r else 0.0))
    return max(rows, key=lambda r: r[3])


def run(
    m: np.ndarray,
    posts: list[Post],
    t: float,
    window: timedelta = DEFAULT_WINDOW,
    min_links: int = DEFAULT_MIN_LINKS,
    grow: bool = True,
) -> Outcome:
    return simulate(posts, MatrixIndex(m, posts, t, window), min_links=min_links, grow=grow)


def best(m: np.ndarray, posts: list[Post], **kw: Any) -> tuple[float, Outcome]:
    return max(((t, run(m, posts, t, **kw)) for t in THRESHOLDS), key=lambda r: (r[1].f1, -r[0]))


def _fmt(g: Outcome) -> str:
    return (
        f"{g.precision:.2f} | {g.recall:.2f} | {g.clusters_found}/{g.clusters} "
        f"| {len(g.problems)} | {g.purity_min:.2f} | {g.hard_negatives_linked}"
    )


def quality(posts: list[Post]) -> None:
    h3 = timedelta(hours=3)
    print(
        "Problem level: arrivals in time order, min_cases 5, min_links 2, absorb on; "
        "threshold = best F1 at the 2h window (SPEC default), same threshold at 3h.\n"
    )
    print(
        "| scorer | tags | pairs: best F1 @t (P, R) | problems @t | 2h P | R | causes found "
        "| problems | min purity | hard neg. linked | 3h P | R |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    matrices = {name: build(posts) for name, build in SCORERS.items()}
    for name, base in matrices.items():
        for how in ("none", "gate", "gate+bonus") if name == CHOSEN else ("gate",):
            m = with_tags(base, posts, how)
            pt, pp, pr, pf = pairwise_best(m, posts)
            t, g2 = best(m, posts)
            g3 = run(m, posts, t, window=h3)
            print(
                f"| {name} | {how} | {pf:.2f} @{pt:.2f} ({pp:.2f}, {pr:.2f}) | {t:.2f} "
                f"| {_fmt(g2)} | {g3.precision:.2f} | {g3.recall:.2f} |"
            )
    chosen = with_tags(matrices[CHOSEN], posts, "gate")
    print(f"\n{CHOSEN}, tags gate: the decision rule and the window")
    print(
        "| window | min_links | absorb | threshold | P | R | causes found | problems "
        "| min purity | hard neg. |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for hours in (2, 3, 4):
        for min_links, grow in ((1, True), (2, False), (2, True), (3, True)):
            g = run(chosen, posts, DEFAULT_THRESHOLD, timedelta(hours=hours), min_links, grow)
            print(
                f"| {hours}h | {min_links} | {'yes' if grow else 'no'} | {DEFAULT_THRESHOLD} "
                f"| {_fmt(g)} |"
            )
    print(f"\n{CHOSEN}, tags gate, min_links 2, absorb: threshold sweep")
    print("| threshold | 2h P | R | causes | 3h P | R | causes |")
    print("|---|---|---|---|---|---|---|")
    for t in THRESHOLDS[1:7]:
        g2, g3 = run(chosen, posts, t), run(chosen, posts, t, window=h3)
        print(
            f"| {t:.2f} | {g2.precision:.2f} | {g2.recall:.2f} | {g2.clusters_found} "
            f"| {g3.precision:.2f} | {g3.recall:.2f} | {g3.clusters_found} |"
        )
    for hours in (2, 3):
        window = timedelta(hours=hours)
        real = simulate(posts, MatcherIndex(Matcher(ignore=BRAND, window=window)))
        print(
            f"bot.problems.similarity.Matcher itself (prefilter on), {hours}h: "
            f"P {real.precision:.3f} R {real.recall:.3f}, {len(real.problems)} problems"
        )


def cost_per_comparison(posts: list[Post]) -> dict[str, float]:
    """Microseconds per comparison as a matcher pays it: one new post against every
    post of the window (rapidfuzz per call; TF-IDF vectorises the new post once and
    multiplies; the chosen scorer intersects stem sets)."""
    texts = _stem_strings(posts) * 4
    sets = [frozenset(t.split()) for t in texts]
    queries = 50
    pairs = len(texts) * queries
    out = {}
    t0 = time.perf_counter()
    for q in sets[:queries]:
        for b in sets:
            len(q & b) / math.sqrt(len(q) * len(b) or 1)
    out[CHOSEN] = (time.perf_counter() - t0) / pairs * 1e6
    for name, scorer in (("token_set_ratio", fuzz.token_set_ratio), ("WRatio", fuzz.WRatio)):
        t0 = time.perf_counter()
        for q in texts[:queries]:
            for b in texts:
                scorer(q, b)
        out[f"rapidfuzz {name}, per call"] = (time.perf_counter() - t0) / pairs * 1e6
        t0 = time.perf_counter()
        for q in texts[:queries]:
            process.cdist([q], texts, scorer=scorer)
        out[f"rapidfuzz {name}, batched cdist"] = (time.perf_counter() - t0) / pairs * 1e6
    for name, opts in (
        ("word 1-2", {"analyzer": "word", "ngram_range": (1, 2), "token_pattern": r"\S+"}),
        ("char_wb 3-5", {"analyzer": "char_wb", "ngram_range": (3, 5)}),
    ):
        vec = TfidfVectorizer(sublinear_tf=True, **opts)  # type: ignore[arg-type]
        x = vec.fit_transform(texts)
        t0 = time.perf_counter()
        for q in texts[:queries]:
            (x @ vec.transform([q]).T).toarray()
        out[f"tfidf {name}"] = (time.perf_counter() - t0) / pairs * 1e6
    return out


_IMPORT_PROBE = """
import time
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
r0 = rss(); t0 = time.perf_counter()
{code}
print(f"{{(time.perf_counter() - t0) * 1000:.0f}} {{rss() - r0:.1f}} {{rss():.1f}}")
"""

IMPORTS = {
    "rapidfuzz": "import rapidfuzz.fuzz, rapidfuzz.process",
    "scikit-learn (TfidfVectorizer)": "from sklearn.feature_extraction.text import TfidfVectorizer",
    "datasketch (MinHash LSH)": "from datasketch import MinHash, MinHashLSH",
    "bot.problems (chosen)": "import bot.problems.similarity",
    "baseline: bare Bolt app": (
        "from slack_bolt import App\n"
        "App(token='xoxb-x', signing_secret='s', token_verification_enabled=False)"
    ),
}


def import_costs() -> dict[str, tuple[float, float, float]]:
    out = {}
    for name, code in IMPORTS.items():
        runs = []
        for _ in range(3):
            probe = _IMPORT_PROBE.format(code=code)
            res = subprocess.run(
                [sys.executable, "-c", probe], capture_output=True, text=True, check=True
            )
            ms, delta, total = res.stdout.split()
            runs.append((float(ms), float(delta), float(total)))
        out[name] = min(runs)
    return out


def main() -> None:
    posts = load()
    clusters = {p.cluster for p in posts if p.cluster}
    print(
        f"labelled set: {len(posts)} posts, {len(clusters)} root causes, "
        f"{sum(p.cluster is None for p in posts)} unrelated "
        f"({sum(p.near is not None for p in posts)} of them hard negatives)\n"
    )
    quality(posts)
    print(f"\ncost per comparison, window of {len(posts) * 4} posts (µs)")
    for name, us in cost_per_comparison(posts).items():
        print(f"  {name:40s} {us:8.2f}")
    print("\nimport in a fresh interpreter: time, RSS added, RSS after (best of 3)")
    for name, (ms, delta, total) in import_costs().items():
        print(f"  {name:32s} {ms:6.0f} ms  +{delta:6.1f} MB  = {total:6.1f} MB")


if __name__ == "__main__":
    main()
