"""On-call rotations as admins write them under `departments.<key>.oncall:`."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Literal, Self
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator

from config.common import WEEKDAYS, Strict, TimeOfDay, UserId, WeekdayName, ZoneName


class Rotation(Strict):
    """Who is on call: members take turns, handing over at a local time in `timezone`.

    `starts` is the local date members[0]'s first shift begins; it anchors the turn order
    so the current person is computed arithmetically, whatever the date.
    """

    members: tuple[UserId, ...] = Field(min_length=1)
    handoff: Literal["daily", "weekly"] = "weekly"
    at: TimeOfDay = time(9, 0)
    weekday: WeekdayName | None = None
    timezone: ZoneName = "UTC"
    starts: date | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if len(set(self.members)) != len(self.members):
            raise ValueError("members: list each person once")
        if self.handoff == "daily" and self.weekday is not None:
            raise ValueError("weekday only applies to a weekly handoff")
        weekly = self.handoff == "weekly"
        if weekly and self.starts is not None and self.starts.weekday() != self.handoff_weekday:
            raise ValueError(
                f"starts: {self.starts} is a {WEEKDAYS[self.starts.weekday()]},"
                f" but handoffs happen on {WEEKDAYS[self.handoff_weekday]}"
            )
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def period_days(self) -> int:
        return 1 if self.handoff == "daily" else 7

    @property
    def handoff_weekday(self) -> int:
        return WEEKDAYS.index(self.weekday or "mon")

    @property
    def epoch(self) -> date:
        """The first handoff date of the turn order (a fixed one when `starts` is unset)."""
        if self.starts is not None:
            return self.starts
        base = date(2024, 1, 1)
        if self.handoff == "daily":
            return base
        return base + timedelta(days=(self.handoff_weekday - base.weekday()) % 7)
