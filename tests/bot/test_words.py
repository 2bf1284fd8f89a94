"""Counted nouns read right in the singular: "1 case", never "1 cases"."""

from __future__ import annotations

import pytest

from bot import priority
from bot.words import count
from config.schema import PriorityScoring


@pytest.mark.parametrize(
    ("n", "expected"), [(0, "0 cases"), (1, "1 case"), (2, "2 cases"), (21, "21 cases")]
)
def test_count(n: int, expected: str) -> None:
    assert count(n, "case") == expected


def test_count_with_an_irregular_plural() -> None:
    assert count(1, "entry", "entries") == "1 entry"
    assert count(3, "entry", "entries") == "3 entries"


@pytest.mark.parametrize(
    ("recent", "days", "reason"),
    [(1, 1, "1 earlier case in 1 day"), (2, 7, "2 earlier cases in 7 days")],
)
def test_priority_reason_counts_earlier_cases(recent: int, days: int, reason: str) -> None:
    rules = PriorityScoring(repeat_window_days=days)
    scored = priority.score(text="hi", followers=None, tier="", recent_cases=recent, rules=rules)
    assert reason in scored.reason
