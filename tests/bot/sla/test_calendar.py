"""Business-time arithmetic: 24/7, weekends, holidays and DST in local wall time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.sla.calendar import add_business_time, business_time_between, is_open, next_open
from config.calendars import Calendar

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
H = timedelta(hours=1)

ALWAYS = Calendar()
OFFICE = Calendar(
    timezone="Europe/Berlin",
    hours={"mon-fri": "09:00-17:00"},
    holidays={"country": "DE", "subdivision": "BE", "dates": ["2026-12-24"]},
)
EVERY_DAY = Calendar(timezone="Europe/Berlin", hours={"mon-sun": "09:00-17:00"})
NY_OFFICE = Calendar(
    timezone="America/New_York",
    hours={"mon-thu": "09:00-12:00, 13:00-17:00", "fri": "09:00-15:00"},
    holidays={"country": "US"},
)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def new_york(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


def test_always_open_is_plain_utc_arithmetic() -> None:
    start = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)
    assert add_business_time(ALWAYS, start, 2 * H) == start + 2 * H
    assert business_time_between(ALWAYS, start, start + 50 * H) == 50 * H
    assert is_open(ALWAYS, start)
    assert next_open(ALWAYS, start) == start


def test_business_hours_skip_the_weekend() -> None:
    friday_3pm = berlin(2026, 11, 20, 15, 0)
    assert add_business_time(OFFICE, friday_3pm, 4 * H) == berlin(2026, 11, 23, 11, 0)
    assert business_time_between(OFFICE, friday_3pm, berlin(2026, 11, 23, 11, 0)) == 4 * H


def test_window_running_out_at_closing_is_due_at_closing() -> None:
    monday = berlin(2026, 11, 23, 9, 0)
    assert add_business_time(OFFICE, monday, 8 * H) == berlin(2026, 11, 23, 17, 0)


def test_start_outside_hours_counts_from_the_next_opening() -> None:
    saturday = berlin(2026, 11, 21, 12, 0)
    assert add_business_time(OFFICE, saturday, 30 * timedelta(minutes=1)) == berlin(
        2026, 11, 23, 9, 30
    )
    assert add_business_time(OFFICE, saturday, timedelta(0)) == saturday


def test_country_holidays_and_explicit_dates_are_closed() -> None:
    # 24 Dec is an explicit date, 25 Dec a German public holiday, 26-27 Dec a weekend.
    wednesday_4pm = berlin(2026, 12, 23, 16, 0)
    due = add_business_time(OFFICE, wednesday_4pm, 3 * H)
    assert due == berlin(2026, 12, 28, 11, 0)
    assert not is_open(OFFICE, berlin(2026, 12, 24, 10, 0))
    assert not is_open(OFFICE, berlin(2026, 12, 25, 10, 0))
    assert business_time_between(OFFICE, wednesday_4pm, due) == 3 * H


def test_subdivision_holidays_apply() -> None:
    # International Women's Day is a holiday in Berlin only.
    assert not is_open(OFFICE, berlin(2027, 3, 8, 10, 0))
    bavaria = Calendar(
        timezone="Europe/Berlin", hours={"mon-fri": "09:00-17:00"}, holidays={"country": "DE"}
    )
    assert is_open(bavaria, berlin(2027, 3, 8, 10, 0))


@pytest.mark.parametrize(
    ("start", "due", "real"),
    [
        # Spring forward (29 Mar 2026): 2 business hours, 17 real hours instead of 18.
        (berlin(2026, 3, 28, 16, 0), berlin(2026, 3, 29, 10, 0), 17 * H),
        # Fall back (25 Oct 2026): 2 business hours, 19 real hours instead of 18.
        (berlin(2026, 10, 24, 16, 0), berlin(2026, 10, 25, 10, 0), 19 * H),
    ],
)
def test_berlin_dst_changes_keep_local_hours(
    start: datetime, due: datetime, real: timedelta
) -> None:
    assert add_business_time(EVERY_DAY, start, 2 * H) == due
    assert due.astimezone(UTC) - start.astimezone(UTC) == real
    assert business_time_between(EVERY_DAY, start, due) == 2 * H


@pytest.mark.parametrize("day", [29, 30])
def test_berlin_business_day_is_8h_on_dst_day(day: int) -> None:
    opening = berlin(2026, 3, day, 9, 0)
    assert add_business_time(EVERY_DAY, opening, 8 * H) == berlin(2026, 3, day, 17, 0)
    assert business_time_between(EVERY_DAY, berlin(2026, 10, 25, 0, 0), berlin(2026, 10, 26)) == (
        8 * H
    )


def test_new_york_dst_weekend_lunch_break_and_short_friday() -> None:
    friday_2pm = new_york(2026, 3, 6, 14, 0)  # EST, DST starts Sunday 8 Mar
    assert add_business_time(NY_OFFICE, friday_2pm, 2 * H) == new_york(2026, 3, 9, 10, 0)
    assert add_business_time(NY_OFFICE, new_york(2026, 3, 9, 11, 0), 2 * H) == new_york(
        2026, 3, 9, 14, 0
    )
    assert new_york(2026, 3, 9, 10, 0).utcoffset() == -4 * H


def test_new_york_fall_back_and_thanksgiving() -> None:
    # 1 Nov 2026 clocks fall back; 26 Nov is Thanksgiving.
    assert add_business_time(NY_OFFICE, new_york(2026, 10, 30, 14, 0), 2 * H) == new_york(
        2026, 11, 2, 10, 0
    )
    assert add_business_time(NY_OFFICE, new_york(2026, 11, 25, 16, 0), 2 * H) == new_york(
        2026, 11, 27, 10, 0
    )


def test_switch_hour_counts_in_wall_time() -> None:
    """A calendar open around the clock locally counts the 25-hour day as 24 hours."""
    nights = Calendar(timezone="Europe/Berlin", hours={"mon-sun": "00:00-24:00"})
    assert business_time_between(nights, berlin(2026, 10, 25), berlin(2026, 10, 26)) == 24 * H
    assert business_time_between(nights, berlin(2026, 3, 29), berlin(2026, 3, 30)) == 24 * H


def test_is_open_is_half_open_and_next_open_skips_closed_days() -> None:
    assert is_open(OFFICE, berlin(2026, 11, 23, 9, 0))
    assert not is_open(OFFICE, berlin(2026, 11, 23, 17, 0))
    assert next_open(OFFICE, berlin(2026, 12, 23, 17, 0)) == berlin(2026, 12, 28, 9, 0)
    assert next_open(NY_OFFICE, new_york(2026, 3, 9, 12, 30)) == new_york(2026, 3, 9, 13, 0)


def test_between_is_antisymmetric() -> None:
    a, b = berlin(2026, 11, 20, 15, 0), berlin(2026, 11, 23, 11, 0)
    assert business_time_between(OFFICE, b, a) == -4 * H


def test_long_windows_are_cheap() -> None:
    start = berlin(2026, 1, 5, 9, 0)
    due = add_business_time(OFFICE, start, 2000 * H)  # 250 working days
    assert due == berlin(2026, 12, 29, 17, 0)
    assert business_time_between(OFFICE, start, due) == 2000 * H


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        add_business_time(OFFICE, datetime(2026, 1, 5, 9, 0), H)


instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
durations = st.integers(min_value=0, max_value=400 * 3600).map(lambda s: timedelta(seconds=s))


@settings(max_examples=300, deadline=None)
@given(
    calendar=st.sampled_from([OFFICE, NY_OFFICE, EVERY_DAY, ALWAYS]),
    start=instants,
    duration=durations,
)
def test_add_then_between_round_trips(
    calendar: Calendar, start: datetime, duration: timedelta
) -> None:
    due = add_business_time(calendar, start, duration)
    assert due >= start
    assert business_time_between(calendar, start, due) == duration
    if duration:
        assert is_open(calendar, due - timedelta(microseconds=1))
