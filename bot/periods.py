"""The windows a summary covers, as people write them.

`today` is the UTC calendar day so far; `week` and `30d` (or any duration, for the
report: `12h`, `7d`) are rolling windows ending now; `YYYY-MM-DD..YYYY-MM-DD` is whole
UTC days, both ends included; a single `YYYY-MM-DD` runs from that day until now. The
previous period, for trends, is the same length right before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from config.common import parse_duration

KEYWORDS = {"today": None, "week": timedelta(days=7), "30d": timedelta(days=30)}
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LAST_INSTANT = timedelta(days=1) - timedelta(microseconds=1)
HINT = "use today, week, 30d or a range of days like 2026-11-01..2026-11-30"


@dataclass(frozen=True)
class Period:
    label: str
    since: datetime
    until: datetime
    """Included, like `since`: a window ending now counts what happened just now."""

    @property
    def previous(self) -> Period:
        return Period(f"before {self.label}", self.since - (self.until - self.since), self.since)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text} is not a date (YYYY-MM-DD)") from None


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def day_range(text: str) -> tuple[date, date] | None:
    """`YYYY-MM-DD..YYYY-MM-DD` as two dates, None for other text; ValueError for a range
    that is not one (a bad date, or the end before the start)."""
    m = _RANGE.match(text.strip())
    if m is None:
        return None
    first, last = _day(m.group(1)), _day(m.group(2))
    if last < first:
        raise ValueError(f"{text.strip()} ends before it starts")
    return first, last


def parse(text: str, now: datetime, *, durations: bool = False) -> Period:
    """The period `text` names at `now`; `durations` also accepts `12h`, `7d` and a
    single start date (the report's `--since`). ValueError says what is accepted."""
    word = text.strip().lower()
    if word in KEYWORDS:
        span = KEYWORDS[word]
        since = _midnight(now.astimezone(UTC).date()) if span is None else now - span
        return Period(word, since, now)
    if days := day_range(word):
        first, last = days
        return Period(word, _midnight(first), _midnight(last) + _LAST_INSTANT)
    if durations and _DATE.match(word):
        return Period(word, _midnight(_day(word)), now)
    if durations:
        try:
            return Period(word, now - parse_duration(word), now)
        except ValueError:
            raise ValueError(
                f"{text!r} is not a period: {HINT}, a duration (12h) or a start date"
            ) from None
    raise ValueError(f"{text!r} is not a period: {HINT}")
