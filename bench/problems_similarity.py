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

import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta

import numpy as np
from rapidfuzz import fuzz, process
from sklearn.feature_extraction.text import TfidfVectorizer

from bench.problems_eval import Outcome, Post, load, simulate
from bot.problems.text import normalise

THRESHOLDS = [round(t, 2) for t in np.arange(0.05, 0.96, 0.05)]
TAG_BONUS = 0.1
WINDOW = timedelta(hours=2)


def _rapidfuzz(scorer: Callable[..., float], raw: bool = False) -> Callable[[list[Post]], np.ndarray]:
    def matrix(posts: list[Post]) -> np.ndarray:
        if raw:
            texts = [p.text for p in posts]
            m = process.cdist(texts, texts, scorer=scorer, processor=lambda s: s.lower())
        else:
            texts = [normalise(p.text) for p in posts]
            m = process.cdist(texts, texts, scorer=scorer)
        return np.asarray(m, dtype=float) / 100.0

    return matrix


def _tfidf(**options: object) -> Callable[[list[Post]], np.ndarray]:
    def matrix(posts: list[Post]) -> np.ndarray:
        texts = [normalise(p.text) for p in posts]
        x = TfidfVectorizer(sublinear_tf=True, **options).fit_transform(texts)  # type: ignore[arg-type]
        return np.asarray((x @ x.T).todense(), dtype=float)

    return matrix


SCORERS: dict[str, Callable[[list[Post]], np.ndarray]] = {
    "rapidfuzz token_set_ratio (raw text)": _rapidfuzz(fuzz.token_set_ratio, raw=True),
    "rapidfuzz token_set_ratio": _rapidfuzz(fuzz.token_set_ratio),
    "rapidfuzz token_sort_ratio": _rapidfuzz(fuzz.token_sort_ratio),
    "rapidfuzz WRatio": _rapidfuzz(fuzz.WRatio),
    "rapidfuzz ratio": _rapidfuzz(fuzz.ratio),
    "tfidf word 1-2": _tfidf(analyzer="word", ngram_range=(1, 2), token_pattern=r"\S+"),
    "tfidf char_wb 3-5": _tfidf(analyzer="char_wb", ngram_range=(3, 5)),
}


def with_tags(m: np.ndarray, posts: list[Post], how: str) -> np.ndarray:
    if how == "none":
        return m
    tags = [p.tags for p in posts]
    out = m.copy()
    for i, a in enumerate(tags):
        for j, b in enumerate(tags):
            if a and b and not a & b:
                out[i, j] = 0.0
            elif how == "gate+bonus" and a & b:
                out[i, j] = min(1.0, out[i, j] + TAG_BONUS)
    return out


def pairwise_sweep(m: np.ndarray, posts: list[Post]) -> list[tuple[float, float, float, float]]:
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
    return rows


def group_sweep(
    m: np.ndarray, posts: list[Post], min_links: int = 1, window: timedelta = WINDOW
) -> list[tuple[float, Outcome]]:
    rows = []
    for t in THRESHOLDS:

        def similar(i: int, earlier: range, t: float = t) -> list[tuple[int, float]]:
            return [(j, float(m[i, j])) for j in earlier if m[i, j] >= t]

        rows.append((t, simulate(posts, similar, window=window, min_links=min_links)))
    return rows


def cost_per_comparison(posts: list[Post]) -> dict[str, float]:
    """Microseconds per comparison as the matcher would pay it: one new text against
    the window's texts (rapidfuzz per call; TF-IDF vectorises the new text once)."""
    texts = [normalise(p.text) for p in posts] * 4
    pairs = len(texts) * 50
    out = {}
    for name, scorer in (("token_set_ratio", fuzz.token_set_ratio), ("WRatio", fuzz.WRatio)):
        t0 = time.perf_counter()
        for i in range(50):
            q = texts[i]
            for s in texts:
                scorer(q, s)
        out[f"rapidfuzz {name}"] = (time.perf_counter() - t0) / pairs * 1e6
    for name, opts in (
        ("word 1-2", {"analyzer": "word", "ngram_range": (1, 2), "token_pattern": r"\S+"}),
        ("char_wb 3-5", {"analyzer": "char_wb", "ngram_range": (3, 5)}),
    ):
        vec = TfidfVectorizer(sublinear_tf=True, **opts)  # type: ignore[arg-type]
        x = vec.fit_transform(texts)
        t0 = time.perf_counter()
        for i in range(50):
            (x @ vec.transform([texts[i]]).T).toarray()
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
        f"labelled set: {len(posts)} posts, {len(clusters)} clusters, "
        f"{sum(p.cluster is None for p in posts)} singletons "
        f"({sum(p.near is not None for p in posts)} hard negatives)\n"
    )
    print("| scorer | tags | pairwise best F1 @t | P | R | problems best F1 @t | P | R "
          "| clusters found | problems | hard neg. linked |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    matrices = {name: build(posts) for name, build in SCORERS.items()}
    best_rows: dict[tuple[str, str], list[tuple[float, Outcome]]] = {}
    for name, base in matrices.items():
        for how in ("none", "gate", "gate+bonus"):
            m = with_tags(base, posts, how)
            pt, pp, pr, pf = max(pairwise_sweep(m, posts), key=lambda r: r[3])
            rows = group_sweep(m, posts)
            best_rows[(name, how)] = rows
            gt, g = max(rows, key=lambda r: (r[1].f1, r[0]))
            print(
                f"| {name} | {how} | {pf:.2f} @{pt:.2f} | {pp:.2f} | {pr:.2f} "
                f"| {g.f1:.2f} @{gt:.2f} | {g.precision:.2f} | {g.recall:.2f} "
                f"| {g.clusters_found}/{g.clusters} | {len(g.problems)} "
                f"| {g.hard_negatives_linked} |"
            )
    for key in (("rapidfuzz token_set_ratio", "gate"), ("tfidf char_wb 3-5", "gate")):
        print(f"\nproblem-level sweep, {key[0]}, tags {key[1]}, min_cases 5, window 2h")
        print("| threshold | P | R | F1 | problems | clusters found | hard neg. linked |")
        print("|---|---|---|---|---|---|---|")
        for t, g in best_rows[key]:
            print(
                f"| {t:.2f} | {g.precision:.2f} | {g.recall:.2f} | {g.f1:.2f} "
                f"| {len(g.problems)} | {g.clusters_found}/{g.clusters} "
                f"| {g.hard_negatives_linked} |"
            )
    print("\ncost per comparison (µs)")
    for name, us in cost_per_comparison(posts).items():
        print(f"  {name:28s} {us:8.2f}")
    print("\nimport in a fresh interpreter: time, RSS added, RSS total (best of 3)")
    for name, (ms, delta, total) in import_costs().items():
        print(f"  {name:32s} {ms:6.0f} ms  +{delta:6.1f} MB  = {total:6.1f} MB")


if __name__ == "__main__":
    main()
