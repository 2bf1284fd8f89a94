"""Scheduled digests: a summary and a chart posted to a channel on a cron schedule, in
the digest's own time zone.

The schedule is five crontab fields. Day-of-week numbers are read as crontab reads
them (0 and 7 are Sunday, 1 is Monday); APScheduler 3 itself counts 0 as Monday, so
numbers are turned into day names before it sees them.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Self

from apscheduler.triggers.cron import CronTrigger
from pydantic import Field, field_validator, model_validator

from config.common import WEEKDAYS, ChannelId, Duration, Key, Strict, ZoneName

_CRON_DAYS = ("sun", *WEEKDAYS[:6], "sun")
_DAY_NUMBER = re.compile(r"\d+")


def crontab_days(field: str) -> str:
    """A crontab day-of-week field with its numbers as day names (`1-5` → `mon-fri`)."""
    if "/" in field and _DAY_NUMBER.search(field.split("/")[0]):
        raise ValueError("write day-of-week steps with names, e.g. mon-fri/2")

    def name(m: re.Match[str]) -> str:
        number = int(m.group(0))
        if number > 7:
            raise ValueError(f"day of week {number} does not exist (0-7, or mon…sun)")
        return _CRON_DAYS[number]

    head, _, step = field.partition("/")
    return _DAY_NUMBER.sub(name, head) + (f"/{step}" if step else "")


def trigger(schedule: str, timezone: str) -> CronTrigger:
    fields = schedule.split()
    if len(fields) != 5:
        raise ValueError(f"{schedule!r} is not five crontab fields (minute hour day month weekday)")
    fields[4] = crontab_days(fields[4])
    return CronTrigger.from_crontab(" ".join(fields), timezone=timezone)


class Digest(Strict):
    name: Key
    channel: ChannelId
    departments: list[Key] = Field(default_factory=list)
    """Empty: all departments together."""
    schedule: str
    timezone: ZoneName = "UTC"
    period: Duration = timedelta(days=1)
    """How far back each digest looks from its slot."""
    chart_days: int = Field(default=14, ge=1, le=92)
    """Days the chart shows (at least the period, so a daily digest still shows a trend)."""
    target: float = Field(default=0.9, gt=0, le=1)
    """The first-response compliance the chart draws as its target line."""

    @field_validator("schedule")
    @classmethod
    def _schedule_parses(cls, value: str) -> str:
        try:
            trigger(value, "UTC")
        except ValueError as exc:
            raise ValueError(f"schedule {value!r}: {exc}") from None
        return value

    @model_validator(mode="after")
    def _chart_covers_period(self) -> Self:
        days = max(self.chart_days, -(-self.period // timedelta(days=1)))
        object.__setattr__(self, "chart_days", min(days, 92))
        return self

    def cron(self) -> CronTrigger:
        return trigger(self.schedule, self.timezone)
