"""Counted nouns in what people read: "1 case", "2 cases", never "1 cases"."""

from __future__ import annotations


def count(n: int, noun: str, plural: str | None = None) -> str:
    """`n` and the noun in the number it needs; `plural` for irregular ones."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
