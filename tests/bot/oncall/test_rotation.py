"""On-call rotations: handoffs at local times across DST, overrides, manager fallback."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.oncall import (
    OncallOverride,
    current_shift,
    next_change,
    next_handoff,
    on_call,
    on_call_next,
    responders,
)
from config.oncall import Rotation

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
H = timedelta(hours=1)
A, B, C = "U0AAAAAAA", "U0BBBBBBB", "U0CCCCCCC"

DAILY = Rotation(
    members=(A, B, C),
    handoff="daily",
    at="09:00",
    timezone="Europe/Berlin",
    starts=date(2026, 3, 1),
)
WEEKLY = Rotation(
    members=(A, B), handoff="weekly", weekday="mon", at="09:00", timezone="America/New_York"
)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def new_york(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


def test_daily_handoff_at_local_time() -> None:
    assert on_call(DAILY, [], berlin(2026, 3, 1, 9, 0)) == A
    assert on_call(DAILY, [], berlin(2026, 3, 2, 8, 59)) == A
    assert on_call(DAILY, [], berlin(2026, 3, 2, 9, 0)) == B
    assert on_call(DAILY, [], berlin(2026, 3, 4, 12, 0)) == A
    assert on_call(DAILY, [], berlin(2026, 2, 28, 12, 0)) == C


def test_index_is_arithmetic_far_from_the_epoch() -> None:
    far = berlin(2100, 6, 15, 12, 0)
    expected = (DAILY.members * 3)[(date(2100, 6, 15) - date(2026, 3, 1)).days % 3]
    assert on_call(DAILY, [], far) == expected


def test_daily_handoff_stays_at_9_across_berlin_dst() -> None:
    # 29 Mar 2026: clocks spring forward, so that shift lasts 23 hours.
    spring = current_shift(DAILY, berlin(2026, 3, 28, 12, 0))
    assert (spring.start, spring.end) == (berlin(2026, 3, 28, 9, 0), berlin(2026, 3, 29, 9, 0))
    assert spring.end - spring.start == 23 * H
    # 25 Oct 2026: clocks fall back, so that shift lasts 25 hours.
    autumn = current_shift(DAILY, berlin(2026, 10, 24, 12, 0))
    assert autumn.end == berlin(2026, 10, 25, 9, 0)
    assert autumn.end - autumn.start == 25 * H
    assert next_handoff(DAILY, berlin(2026, 10, 25, 8, 59)) == berlin(2026, 10, 25, 9, 0)


def test_weekly_handoff_across_new_york_dst() -> None:
    # 8 Mar 2026: DST starts in New York; Monday handoffs stay at 09:00 local.
    shift = current_shift(WEEKLY, new_york(2026, 3, 7, 12, 0))
    assert shift.start == new_york(2026, 3, 2, 9, 0)
    assert shift.end == new_york(2026, 3, 9, 9, 0)
    assert shift.end.astimezone(UTC).hour == 13
    assert shift.start.astimezone(UTC).hour == 14
    assert on_call(WEEKLY, [], new_york(2026, 3, 9, 8, 59)) == shift.user_id
    assert on_call(WEEKLY, [], new_york(2026, 3, 9, 9, 0)) != shift.user_id


@given(
    at=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
    rotation=st.sampled_from([DAILY, WEEKLY]),
)
def test_shifts_tile_time_without_gaps_or_overlaps(at: datetime, rotation: Rotation) -> None:
    shift = current_shift(rotation, at)
    assert shift.start <= at < shift.end
    following = current_shift(rotation, shift.end)
    assert following.start == shift.end
    assert following.user_id != shift.user_id
    assert current_shift(rotation, shift.start - timedelta(microseconds=1)).end == shift.start


def test_handoff_inside_the_dst_gap_still_tiles() -> None:
    night = Rotation(members=(A, B), handoff="daily", at="02:30", timezone="Europe/Berlin")
    before = current_shift(night, berlin(2026, 3, 29, 1, 0))
    after = current_shift(night, before.end)
    assert before.end == after.start
    assert after.end == berlin(2026, 3, 30, 2, 30)


def test_starts_anchors_the_order() -> None:
    r = Rotation(members=(A, B), weekday="wed", at="10:00", starts=date(2026, 11, 25))
    assert on_call(r, [], datetime(2026, 11, 25, 10, 0, tzinfo=UTC)) == A
    assert on_call(r, [], datetime(2026, 12, 2, 10, 0, tzinfo=UTC)) == B
    assert r.at == time(10, 0)


def test_override_wins_while_active() -> None:
    cover = OncallOverride(C, berlin(2026, 3, 2, 12, 0), berlin(2026, 3, 2, 18, 0))
    assert on_call(DAILY, [cover], berlin(2026, 3, 2, 11, 59)) == B
    assert on_call(DAILY, [cover], berlin(2026, 3, 2, 12, 0)) == C
    assert on_call(DAILY, [cover], berlin(2026, 3, 2, 18, 0)) == B


def test_latest_override_wins_when_they_overlap() -> None:
    long = OncallOverride(C, berlin(2026, 3, 2, 0, 0), berlin(2026, 3, 9, 0, 0))
    short = OncallOverride(A, berlin(2026, 3, 3, 0, 0), berlin(2026, 3, 4, 0, 0))
    assert on_call(DAILY, [short, long], berlin(2026, 3, 3, 12, 0)) == A
    assert on_call(DAILY, [short, long], berlin(2026, 3, 5, 12, 0)) == C


def test_override_must_be_a_real_interval() -> None:
    with pytest.raises(ValueError, match="end after"):
        OncallOverride(A, berlin(2026, 3, 2), berlin(2026, 3, 2))


def test_no_rotation_falls_back_to_managers() -> None:
    at = berlin(2026, 3, 2, 12, 0)
    managers = ["U0MGR0001", "U0MGR0002"]
    assert on_call(None, [], at) is None
    assert responders(None, [], at, managers) == managers
    cover = OncallOverride(C, at - H, at + H)
    assert responders(None, [cover], at, managers) == [C]
    assert responders(DAILY, [], at, managers) == [B]


def test_on_call_next_and_next_change() -> None:
    at = berlin(2026, 3, 2, 12, 0)
    upcoming = on_call_next(DAILY, [], at)
    assert (upcoming.user_id, upcoming.start) == (C, berlin(2026, 3, 3, 9, 0))
    cover = OncallOverride(A, berlin(2026, 3, 3, 8, 0), berlin(2026, 3, 3, 10, 0))
    assert on_call_next(DAILY, [cover], at).user_id == A
    assert next_change(DAILY, [cover], at) == berlin(2026, 3, 3, 8, 0)
    assert next_change(None, [cover], berlin(2026, 3, 3, 9, 0)) == berlin(2026, 3, 3, 10, 0)
    assert next_change(None, [], at) is None
