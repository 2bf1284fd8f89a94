"""Business calendars as admins write them: opening hours per weekday in a time zone, and
the closed days (a country's public holidays plus the company's own dates)."""

from __future__ import annotations

from datetime import date
from typing import Any, Self
from zoneinfo import ZoneInfo

from pydantic import Field, PrivateAttr, field_validator, model_validator

from config import holiday_days
from config.common import QUOTE_HINT, WEEKDAYS, Strict, ZoneName, day_seconds

ALWAYS_OPEN = "24/7"
OpenSpan = tuple[int, int]
"""Seconds since local midnight, half-open [open, close); close may be 86400 (24:00)."""


def _days_of(key: str) -> list[int]:
    days: list[int] = []
    for part in key.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise ValueError(
                f"{key!r} is not a weekday or range: use mon..sun, e.g. mon-fri or sat,sun"
            )
        a, b = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        days.extend((a + i) % 7 for i in range((b - a) % 7 + 1))
    return days


def _spans_of(text: str) -> tuple[OpenSpan, ...]:
    if text.strip().lower() == "closed":
        return ()
    spans: list[OpenSpan] = []
    for part in text.split(","):
        start, sep, stop = part.strip().partition("-")
        if not sep:
            raise ValueError(f"{text!r}: write opening hours as HH:MM-HH:MM or 'closed'")
        span = (day_seconds(start, end=False), day_seconds(stop, end=True))
        if span[0] >= span[1]:
            raise ValueError(f"{part.strip()!r}: the opening must come before the closing")
        if spans and span[0] < spans[-1][1]:
            raise ValueError(f"{text!r}: list the spans in order, without overlaps")
        spans.append(span)
    return tuple(spans)


class HolidayRules(Strict):
    """Days the calendar stays closed: a public-holiday table plus the company's own dates."""

    country: str | None = None
    subdivision: str | None = None
    dates: tuple[date, ...] = ()

    @field_validator("country")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else value

    @model_validator(mode="after")
    def _known(self) -> Self:
        if self.subdivision and not self.country:
            raise ValueError("subdivision needs a country")
        if self.country:
            try:
                holiday_days.check((self.country, self.subdivision))
            except NotImplementedError as exc:
                raise ValueError(f"no holiday table for this place: {exc}") from None
        return self

    @property
    def place(self) -> holiday_days.Place | None:
        """Where the public holidays come from; None without a country."""
        return (self.country, self.subdivision) if self.country else None


class Calendar(Strict):
    """Without `hours` a calendar is open around the clock and due times are plain UTC."""

    timezone: ZoneName = "UTC"
    hours: dict[str, str] | None = None
    holidays: HolidayRules = Field(default_factory=HolidayRules)
    _weekly: tuple[tuple[OpenSpan, ...], ...] = PrivateAttr(default=((),) * 7)
    _zone: ZoneInfo = PrivateAttr(default=ZoneInfo("UTC"))

    @field_validator("hours", mode="before")
    @classmethod
    def _hours_are_text(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for key, spans in value.items():
                if isinstance(spans, int):
                    raise ValueError(f"{key}: {QUOTE_HINT}")
        return value

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is None:
            return None
        seen: set[int] = set()
        for key, spans in value.items():
            days = _days_of(key)
            if twice := seen.intersection(days):
                named = ", ".join(WEEKDAYS[d] for d in sorted(twice))
                raise ValueError(f"{key!r}: {named} already has hours in another entry")
            seen.update(days)
            _spans_of(spans)
        if not any(_spans_of(spans) for spans in value.values()):
            raise ValueError("the calendar is never open: give at least one day some hours")
        return value

    @model_validator(mode="after")
    def _holidays_need_hours(self) -> Self:
        rules = self.holidays
        if self.hours is None and (rules.country or rules.dates):
            raise ValueError("holidays only make sense with business hours: add `hours`")
        return self

    def model_post_init(self, context: Any, /) -> None:
        weekly: list[tuple[OpenSpan, ...]] = [()] * 7
        for key, spans in (self.hours or {}).items():
            for day in _days_of(key):
                weekly[day] = _spans_of(spans)
        self._weekly = tuple(weekly)
        self._zone = ZoneInfo(self.timezone)

    @property
    def always_open(self) -> bool:
        return self.hours is None

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    def open_spans(self, day: date) -> tuple[OpenSpan, ...]:
        """The local opening spans of one date; empty on closed weekdays and holidays."""
        rules = self.holidays
        place = rules.place
        if day in rules.dates or (place and holiday_days.is_holiday(place, day)):
            return ()
        return self._weekly[day.weekday()]


ALWAYS = Calendar()
"""The built-in `24/7` calendar."""
