"""What every customer-channel module shares: the parse error and text hygiene."""

from __future__ import annotations

from dataclasses import dataclass

from bot.posts import MAX_TEXT_CHARS


@dataclass
class ParseError(Exception):
    """A body that cannot become a post; `field` names what is wrong (400)."""

    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.field}: {self.problem}"


def clean_text(value: str, *, limit: int = MAX_TEXT_CHARS) -> str:
    """Text any database stores: no NUL bytes, no lone surrogates, bounded length."""
    value = value.replace("\x00", "")
    value = value.encode("utf-8", "replace").decode("utf-8")
    return value[:limit]
