"""How similar two customer posts are, and which open cases of the window are similar to a
new one, at a cost that does not grow with the window.

Similarity is the cosine of the two posts' sets of word stems (the Ochiai coefficient,
|A ∩ B| / √(|A|·|B|)): two posts about one cause share its nouns ("5.2", "checkout",
"leeds", "apple pay"), whatever else they say. Stems come from Snowball, so "crashes",
"crashing" and "crashed" are one word. `bench.problems_similarity` compares it with
rapidfuzz's scorers and scikit-learn's TF-IDF on the labelled set: it groups the set's
root causes better than either, and costs nothing to import (scikit-learn adds
~100 MB to the serving process). A routing rule's tags
count as a gate: two posts that rules tagged, with no tag in common, are not similar.

The matcher keeps the window's cases in an inverted index, stem -> most recent cases
that have it (at most `per_token`), and scores only the cases found there. Its cost
per new case is bounded by (stems of the post) x `per_token`, however large the
window; the price is that an older case sharing only common stems can be missed
(bench/RESULTS.md has the measured recall).
"""

from __future__ import annotations

import math
import sys
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Protocol

import snowballstemmer

from bot.problems.detect import Candidate
from bot.problems.text import normalise, tokens

__all__ = ["Matcher", "normalise", "similarity", "stems"]

DEFAULT_THRESHOLD = 0.2
DEFAULT_WINDOW = timedelta(hours=2)
# Postings keep the most recent cases per stem: a storm is recent, so its cases are
# the ones kept; a common stem ("app") cannot make one lookup walk the whole window.
DEFAULT_PER_TOKEN = 200

_STEMMERS = threading.local()
"""One stemmer per thread: neither snowballstemmer's stemmers nor PyStemmer's (which
it uses when installed) may be shared by threads, and request threads detect at once."""


class _Stemmer(Protocol):
    def stemWord(self, word: str) -> str: ...


def _stemmer() -> _Stemmer:
    found = getattr(_STEMMERS, "english", None)
    if found is None:
        found = _STEMMERS.english = snowballstemmer.stemmer("english")
    return found


@lru_cache(maxsize=65_536)
def _stem(token: str) -> str:
    # Interned: 100k cases share one string per stem, not one per case.
    return sys.intern(_stemmer().stemWord(token) if token.isalpha() else token)


def stems(text: str, ignore: frozenset[str] = frozenset()) -> frozenset[str]:
    """The set a post is compared by: stems of its matching tokens (`text.tokens`)."""
    return frozenset(_stem(t) for t in tokens(text, ignore))


def ochiai(overlap: int, size_a: int, size_b: int) -> float:
    return overlap / math.sqrt(size_a * size_b) if overlap else 0.0


def tags_allow(a: frozenset[str], b: frozenset[str]) -> bool:
    return not (a and b) or bool(a & b)


def similarity(
    a: str,
    b: str,
    tags_a: frozenset[str] = frozenset(),
    tags_b: frozenset[str] = frozenset(),
) -> float:
    """0..1; 0 when either post has nothing left to compare, or rules tagged them apart."""
    if not tags_allow(tags_a, tags_b):
        return 0.0
    sa, sb = stems(a), stems(b)
    if not sa or not sb:
        return 0.0
    return ochiai(len(sa & sb), len(sa), len(sb))


@dataclass(slots=True)
class _Entry:
    case_id: str
    stems: tuple[str, ...]  # a tuple is a fifth of a frozenset's size; sets are built only to scan
    tags: frozenset[str]
    at: datetime
    problem: str | None


class Matcher:
    """The window's open cases, for finding those similar to a case.

    Cases are added in arrival order (the intake clock); `expire(now)` drops those that
    arrived more than `window` before `now`. Not thread-safe: one per unit of work or
    behind a lock.
    """

    def __init__(
        self,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        window: timedelta = DEFAULT_WINDOW,
        ignore: Iterable[str] = (),
        per_token: int = DEFAULT_PER_TOKEN,
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError("threshold must be in (0, 1]")
        self.threshold = threshold
        self.window = window
        self.ignore = frozenset(w.casefold() for w in ignore)
        self._per_token = per_token
        self._entries: dict[int, _Entry] = {}
        self._seq_of: dict[str, int] = {}
        self._arrivals: deque[int] = deque()
        # Lists, not deques: most stems (order numbers) have one case, and an empty
        # deque costs ten times an empty list.
        self._postings: dict[str, list[int]] = {}
        self._next = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, case_id: object) -> bool:
        return case_id in self._seq_of

    def add(
        self,
        case_id: str,
        text: str,
        at: datetime,
        tags: Iterable[str] = (),
        problem: str | None = None,
    ) -> None:
        """Index a case (again: re-adding replaces it, e.g. after an edit)."""
        if case_id in self._seq_of:
            self.remove(case_id)
        seq = self._next
        self._next += 1
        entry = _Entry(case_id, tuple(stems(text, self.ignore)), frozenset(tags), at, problem)
        self._entries[seq] = entry
        self._seq_of[case_id] = seq
        self._arrivals.append(seq)
        for stem in entry.stems:
            posting = self._postings.setdefault(stem, [])
            posting.append(seq)
            if len(posting) > self._per_token:
                del posting[0]

    def link(self, case_id: str, problem: str | None) -> None:
        """Record which problem a case belongs to (None: unlinked)."""
        self._entries[self._seq_of[case_id]].problem = problem

    def remove(self, case_id: str) -> None:
        """Forget a case (resolved, merged, deleted); its postings are cleaned lazily."""
        seq = self._seq_of.pop(case_id, None)
        if seq is not None:
            del self._entries[seq]

    def expire(self, now: datetime) -> int:
        """Drop the cases that arrived before the window; returns how many."""
        cutoff = now - self.window
        dropped = 0
        while self._arrivals:
            seq = self._arrivals[0]
            entry = self._entries.get(seq)
            if entry is not None and entry.at >= cutoff:
                break
            self._arrivals.popleft()
            if entry is not None:
                self._drop(seq)
                dropped += 1
        return dropped

    def _drop(self, seq: int) -> None:
        entry = self._entries.pop(seq)
        del self._seq_of[entry.case_id]
        self._trim(entry.stems)

    def _trim(self, keys: Iterable[str]) -> None:
        for key in keys:
            posting = self._postings.get(key)
            if posting is None:
                continue
            dead = 0
            while dead < len(posting) and posting[dead] not in self._entries:
                dead += 1
            del posting[:dead]
            if not posting:
                del self._postings[key]

    def similar(self, case_id: str) -> list[Candidate]:
        """The indexed cases similar to this indexed one, best first."""
        entry = self._entries[self._seq_of[case_id]]
        return self._search(frozenset(entry.stems), entry.tags, exclude=self._seq_of[case_id])

    def similar_text(self, text: str, tags: Iterable[str] = ()) -> list[Candidate]:
        """The indexed cases similar to a text that is not (yet) indexed, best first."""
        return self._search(stems(text, self.ignore), frozenset(tags), exclude=-1)

    def _search(self, query: frozenset[str], tags: frozenset[str], exclude: int) -> list[Candidate]:
        if not query:
            return []
        seen: set[int] = {exclude}
        found = []
        for stem in query:
            for seq in self._postings.get(stem, ()):
                if seq in seen:
                    continue
                seen.add(seq)
                entry = self._entries.get(seq)
                if entry is None or not tags_allow(tags, entry.tags):
                    continue
                # Scored on the whole entry, not on the postings walked: a case whose
                # common stems fell out of their capped postings still counts them.
                shared = len(query.intersection(entry.stems))
                score = ochiai(shared, len(query), len(entry.stems))
                if score >= self.threshold:
                    found.append(Candidate(entry.case_id, score, entry.problem))
        found.sort(key=lambda c: (-c.score, c.case_id))
        return found

    def brute_force(self, case_id: str) -> list[Candidate]:
        """What `similar` would return scanning every case: the benchmark's reference."""
        me = self._entries[self._seq_of[case_id]]
        mine = frozenset(me.stems)
        found = []
        for entry in self._entries.values():
            if entry is me or not tags_allow(me.tags, entry.tags):
                continue
            score = ochiai(len(mine.intersection(entry.stems)), len(mine), len(entry.stems))
            if score >= self.threshold:
                found.append(Candidate(entry.case_id, score, entry.problem))
        found.sort(key=lambda c: (-c.score, c.case_id))
        return found
