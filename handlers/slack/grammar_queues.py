"""`/case` commands about many cases and people: list, summary, oncall (and override)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from bot import periods
from bot.reading import MAX_PAGE, ListScope
from handlers.slack.words import Problem, Scanner, department_arg, echo, user_arg

MAX_OVERRIDE = timedelta(days=30)
"""An on-call override longer than this is almost certainly a typo (`400d` for `4d`)."""


_DURATION = re.compile(r"^(?:[0-9]{1,5}[mhd])+$")


_DURATION_PART = re.compile(r"([0-9]+)([mhd])")


_PAGE = re.compile(r"^[0-9]{1,6}$")


_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}


_SCOPES = frozenset(scope.value for scope in ListScope)


class Period(StrEnum):
    TODAY = "today"
    WEEK = "week"
    DAYS_30 = "30d"


@dataclass(frozen=True)
class ListCases:
    scope: ListScope
    department: str | None
    channel_id: str | None
    page: int


@dataclass(frozen=True)
class Summary:
    period: str
    """A `Period` keyword or a range of days, `2026-11-01..2026-11-30`."""
    department: str | None
    channel_id: str | None


@dataclass(frozen=True)
class Oncall:
    department: str | None
    channel_id: str | None


@dataclass(frozen=True)
class OncallOverride:
    """Exactly one of `department` and `channel_id` is set."""

    department: str | None
    channel_id: str | None
    user_id: str
    duration: timedelta


QueueCommand = ListCases | Summary | Oncall | OncallOverride

_PERIODS = frozenset(period.value for period in Period)


def parse_list(s: Scanner) -> QueueCommand:
    scope: ListScope | None = None
    department: str | None = None
    channel_id: str | None = None
    page: int | None = None
    while (word := s.take()) is not None:
        low = word.lower()
        if low == "page" and page is None:
            page = _page(s.need("Which page? Say page 2."))
        elif low in _SCOPES and scope is None:
            scope = ListScope(low)
        elif low in _SCOPES:
            raise Problem("Pick one of mine, open, unclaimed or breaching.")
        elif department is None and channel_id is None and low != "page":
            department, channel_id = department_arg(word)
        else:
            raise Problem(f"Unexpected `{echo(word)}`.")
    return ListCases(scope or ListScope.MINE, department, channel_id, page or 1)


def _page(word: str) -> int:
    if not _PAGE.match(word) or not 1 <= int(word) <= MAX_PAGE:
        raise Problem(f"`{echo(word)}` is not a page number.")
    return int(word)


def _day_range(word: str) -> bool:
    """Whether `word` is a range of days; a range that cannot be one is a mistake."""
    try:
        return periods.day_range(word) is not None
    except ValueError as exc:
        raise Problem(f"`{echo(word)}`: {exc}.") from None


def parse_summary(s: Scanner) -> QueueCommand:
    period: str | None = None
    department: str | None = None
    channel_id: str | None = None
    while (word := s.take()) is not None:
        low = word.lower()
        is_period = low in _PERIODS or _day_range(low)
        if is_period and period is None:
            period = Period(low) if low in _PERIODS else low
        elif is_period:
            raise Problem("Pick one of today, week, 30d or a range of days.")
        elif department is None and channel_id is None:
            department, channel_id = department_arg(word)
        else:
            raise Problem(f"Unexpected `{echo(word)}`.")
    return Summary(period or Period.TODAY, department, channel_id)


def parse_oncall(s: Scanner) -> QueueCommand:
    word = s.take()
    if word is None:
        return Oncall(None, None)
    department, channel_id = department_arg(word)
    s.end()
    return Oncall(department, channel_id)


def parse_override(s: Scanner) -> QueueCommand:
    department, channel_id = department_arg(s.need("Which department?"))
    uid = user_arg(s)
    duration = _duration(s.need("For how long? Like 30m, 4h or 2d."))
    s.end()
    return OncallOverride(department, channel_id, uid, duration)


def _duration(word: str) -> timedelta:
    """`30m`, `4h`, `2d`, or combined like `1h30m`."""
    low = word.lower()
    if not _DURATION.match(low):
        raise Problem(f"`{echo(word)}` is not a duration: use 30m, 4h or 2d.")
    total = sum((int(n) * _UNITS[unit] for n, unit in _DURATION_PART.findall(low)), timedelta())
    if not timedelta(0) < total <= MAX_OVERRIDE:
        raise Problem(f"An override lasts between 1m and {MAX_OVERRIDE.days}d.")
    return total
