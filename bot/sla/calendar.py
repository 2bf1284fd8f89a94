"""Business-time arithmetic over a `Calendar`.

Business time is counted in the calendar's local wall time: a 09:00-17:00 day holds
8 hours of business time even on the days clocks jump, because that is what the
opening hours promise the customer. Instants go in and out as aware datetimes; the
walk advances a whole local day at a time, so long windows stay cheap.

Wall times that do not exist (inside a spring-forward gap) map forward as PEP 495
prescribes; wall times that happen twice count once. Both only matter to calendars whose
hours include the switch hour, usually 02:00-03:00 at night.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from config.calendars import Calendar

_DAY = timedelta(days=1)


def _aware(t: datetime) -> datetime:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"business time needs aware datetimes, got naive {t.isoformat()}")
    return t


def _wall(calendar: Calendar, t: datetime) -> datetime:
    return _aware(t).astimezone(calendar.zone).replace(tzinfo=None)


def _instant(calendar: Calendar, wall: datetime) -> datetime:
    return wall.replace(tzinfo=calendar.zone).astimezone(UTC)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def _spans(calendar: Calendar, day: date) -> Iterator[tuple[timedelta, timedelta]]:
    for start, end in calendar.open_spans(day):
        yield timedelta(seconds=start), timedelta(seconds=end)


def is_open(calendar: Calendar, t: datetime) -> bool:
    """Open spans are half-open: at 17:00 a 09:00-17:00 calendar is already closed."""
    if calendar.always_open:
        return True
    wall = _wall(calendar, t)
    offset = wall - _midnight(wall.date())
    return any(start <= offset < end for start, end in _spans(calendar, wall.date()))


def next_open(calendar: Calendar, t: datetime) -> datetime:
    """The first instant at or after `t` when the calendar is open."""
    if calendar.always_open or is_open(calendar, t):
        return _aware(t)
    wall = _wall(calendar, t)
    day, offset = wall.date(), wall - _midnight(wall.date())
    while True:
        for start, _end in _spans(calendar, day):
            if start >= offset:
                return _instant(calendar, _midnight(day) + start)
        day, offset = day + _DAY, timedelta(0)


def add_business_time(calendar: Calendar, start: datetime, duration: timedelta) -> datetime:
    """The earliest instant by which `duration` of business time has passed since `start`.

    A window that runs out exactly at closing time is due at closing, not at the next
    opening, so "due Friday 17:00" reads as the customer would expect.
    """
    if duration < timedelta(0):
        raise ValueError("duration must not be negative")
    if calendar.always_open or not duration:
        return _aware(start) + duration
    wall = _wall(calendar, start)
    day, offset, remaining = wall.date(), wall - _midnight(wall.date()), duration
    while True:
        for open_at, close_at in _spans(calendar, day):
            begin = max(open_at, offset)
            if begin >= close_at:
                continue
            if remaining <= close_at - begin:
                return _instant(calendar, _midnight(day) + begin + remaining)
            remaining -= close_at - begin
        day, offset = day + _DAY, timedelta(0)


def business_time_between(calendar: Calendar, a: datetime, b: datetime) -> timedelta:
    """Business time from `a` to `b`; negative when `b` comes first, like `b - a`."""
    if b < a:
        return -business_time_between(calendar, b, a)
    if calendar.always_open:
        return _aware(b) - _aware(a)
    wall_a, wall_b = _wall(calendar, a), _wall(calendar, b)
    total = timedelta(0)
    day = wall_a.date()
    while wall_a < wall_b and day <= wall_b.date():
        lo, hi = wall_a - _midnight(day), wall_b - _midnight(day)
        for open_at, close_at in _spans(calendar, day):
            total += max(timedelta(0), min(close_at, hi) - max(open_at, lo))
        day += _DAY
    return total
