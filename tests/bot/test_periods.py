"""Periods as people type them: keywords, ranges of days, and the report's durations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot import periods

NOW = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)


def test_keywords_are_rolling_or_the_utc_day_so_far() -> None:
    today = periods.parse("today", NOW)
    assert (today.since, today.until) == (datetime(2026, 11, 23, tzinfo=UTC), NOW)
    assert periods.parse("week", NOW).since == NOW - timedelta(days=7)
    assert periods.parse("30D", NOW).since == NOW - timedelta(days=30)


def test_a_range_is_whole_days_both_included_and_its_previous_period_as_long() -> None:
    got = periods.parse("2026-11-01..2026-11-30", NOW)
    assert got.since == datetime(2026, 11, 1, tzinfo=UTC)
    assert got.until == datetime(2026, 11, 30, 23, 59, 59, 999999, tzinfo=UTC)
    before = got.previous
    assert (before.since, before.until) == (got.since - (got.until - got.since), got.since)


def test_the_report_also_takes_durations_and_a_start_date() -> None:
    assert periods.parse("12h", NOW, durations=True).since == NOW - timedelta(hours=12)
    assert periods.parse("2026-11-20", NOW, durations=True).since == datetime(
        2026, 11, 20, tzinfo=UTC
    )
    with pytest.raises(ValueError, match="not a period"):
        periods.parse("12h", NOW)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-11-30..2026-11-01", "ends before it starts"),
        ("2026-02-30..2026-03-01", "is not a date"),
        ("yesterday", "not a period"),
    ],
)
def test_mistakes_say_what_is_accepted(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        periods.parse(text, NOW, durations=True)
