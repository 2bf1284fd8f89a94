"""The small vocabulary every part of the YAML config shares: strict models, keys, Slack
ids, durations, times of day and time zones, each checked with a message naming the fix."""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StringConstraints

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WeekdayName = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
UserId = Annotated[str, StringConstraints(pattern=r"^[UW][A-Z0-9]{2,}$")]
ChannelId = Annotated[str, StringConstraints(pattern=r"^[CG][A-Z0-9]{2,}$")]

_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_TIME_OF_DAY = re.compile(r"(\d{1,2}):(\d{2})")
QUOTE_HINT = 'YAML reads an unquoted 17:00 as a number; write it in quotes, e.g. "17:00"'


class Strict(BaseModel):
    """Unknown keys are mistakes: a typo must fail loudly, not silently keep a default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_duration(value: object) -> timedelta:
    """Durations are written with units (`90m`, `1h30m`, `2d`) so `30` can't mean guesswork."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif (
        isinstance(value, str)
        and (m := _DURATION.fullmatch(value.strip().lower()))
        and any(m.groups())
    ):
        d, h, mi, s = (int(g or 0) for g in m.groups())
        seconds = ((d * 24 + h) * 60 + mi) * 60 + s
    else:
        raise ValueError(
            f"{value!r} is not a duration: write a number with a unit s, m, h or d,"
            " e.g. 30s, 15m, 4h, 2d or 1h30m"
        )
    if seconds <= 0:
        raise ValueError(f"{value!r} must be longer than zero")
    return timedelta(seconds=seconds)


def day_seconds(value: object, *, end: bool) -> int:
    if isinstance(value, int):
        raise ValueError(QUOTE_HINT)
    m = _TIME_OF_DAY.fullmatch(str(value).strip())
    hour, minute = (int(m[1]), int(m[2])) if m else (-1, -1)
    limit = 24 if end else 23
    if not m or minute > 59 or hour > limit or (hour == 24 and minute):
        latest = "24:00" if end else "23:59"
        raise ValueError(f"{value!r} is not a time of day: use HH:MM between 00:00 and {latest}")
    return hour * 3600 + minute * 60


def _parse_time(value: object) -> time:
    if isinstance(value, time):
        return value
    seconds = day_seconds(value, end=False)
    return time(seconds // 3600, seconds // 60 % 60)


def _check_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin or UTC"
        ) from None
    return name


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
TimeOfDay = Annotated[time, BeforeValidator(_parse_time)]
ZoneName = Annotated[str, AfterValidator(_check_zone)]
