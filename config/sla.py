"""SLA policies, business calendars and on-call rotations as admins write them in YAML.

Everything is checked when the config loads, so the SLA core can trust what it is given:
a duration, a time zone, an opening-hours line or a cross-reference that is wrong stops
the process with a message naming the key, instead of surfacing as a wrong due time.
`SlaConfig` is embedded as `sla:` and `Rotation` as `departments.<key>.oncall:`.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date, time, timedelta
from functools import cache
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_tables
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    field_validator,
    model_validator,
)

ALWAYS_OPEN = "24/7"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_WARN_AT = (0.5, 0.8)

PriorityName = Literal["urgent", "high", "normal", "low"]
Recipient = Literal["owner", "oncall", "manager"]
WeekdayName = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
SlackUserId = Annotated[str, StringConstraints(pattern=r"^[UW][A-Z0-9]{2,}$")]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
OpenSpan = tuple[int, int]
"""Seconds since local midnight, half-open [open, close); close may be 86400 (24:00)."""

_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")
_QUOTE_HINT = 'YAML reads an unquoted 17:00 as a number; write it in quotes, e.g. "17:00"'


class _Strict(BaseModel):
    """A typo in an SLA key must fail loudly rather than silently keep a default window."""

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


def _clock_seconds(value: object, *, end: bool) -> int:
    if isinstance(value, int):
        raise ValueError(_QUOTE_HINT)
    m = _CLOCK.fullmatch(str(value).strip())
    hour, minute = (int(m[1]), int(m[2])) if m else (-1, -1)
    limit = 24 if end else 23
    if not m or minute > 59 or hour > limit or (hour == 24 and minute):
        latest = "24:00" if end else "23:59"
        raise ValueError(f"{value!r} is not a time of day: use HH:MM between 00:00 and {latest}")
    return hour * 3600 + minute * 60


def _parse_time(value: object) -> time:
    if isinstance(value, time):
        return value
    seconds = _clock_seconds(value, end=False)
    return time(seconds // 3600, seconds // 60 % 60)


def _check_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin or UTC"
        ) from None
    return name


def _check_fractions(fractions: tuple[float, ...]) -> tuple[float, ...]:
    """Thresholds are named by percent (`warn80`), so two fractions may not share a name."""
    if any(not 0 < f < 1 for f in fractions):
        raise ValueError("warning fractions must lie strictly between 0 and 1, e.g. [0.5, 0.8]")
    percents = [round(f * 100) for f in fractions]
    if percents != sorted(set(percents)) or 0 in percents:
        raise ValueError(
            "warning fractions must increase and differ by at least 0.01, e.g. [0.5, 0.8]"
        )
    return fractions


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
ClockTime = Annotated[time, BeforeValidator(_parse_time)]
ZoneName = Annotated[str, AfterValidator(_check_zone)]
WarnAt = Annotated[tuple[float, ...], AfterValidator(_check_fractions)]


@cache
def _holiday_table(country: str, subdivision: str | None) -> holiday_tables.HolidayBase:
    """Shared per place and kept out of the models, so equal calendars stay equal."""
    return holiday_tables.country_holidays(country, subdiv=subdivision)


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
        span = (_clock_seconds(start, end=False), _clock_seconds(stop, end=True))
        if span[0] >= span[1]:
            raise ValueError(f"{part.strip()!r}: the opening must come before the closing")
        if spans and span[0] < spans[-1][1]:
            raise ValueError(f"{text!r}: list the spans in order, without overlaps")
        spans.append(span)
    return tuple(spans)


class HolidayRules(_Strict):
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
                _holiday_table(self.country, self.subdivision)
            except NotImplementedError as exc:
                raise ValueError(f"no holiday table for this place: {exc}") from None
        return self


class Calendar(_Strict):
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
                    raise ValueError(f"{key}: {_QUOTE_HINT}")
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
        if day in rules.dates or (
            rules.country and day in _holiday_table(rules.country, rules.subdivision)
        ):
            return ()
        return self._weekly[day.weekday()]


class Policy(_Strict):
    first_response: Duration
    next_response: Duration
    resolution: Duration
    calendar: str = ALWAYS_OPEN
    warn_at: WarnAt = DEFAULT_WARN_AT


class PolicyOverride(_Strict):
    """Matches by department and/or source (optionally one priority) and replaces fields."""

    department: str | None = None
    source: str | None = None
    priority: PriorityName | None = None
    first_response: Duration | None = None
    next_response: Duration | None = None
    resolution: Duration | None = None
    calendar: str | None = None
    warn_at: WarnAt | None = None

    @model_validator(mode="after")
    def _says_something(self) -> Self:
        if not (self.department or self.source):
            raise ValueError("an override needs a department or a source to match")
        if not self.changes():
            raise ValueError("an override must set at least one of the policy's fields")
        return self

    def specificity(self) -> int:
        return sum(x is not None for x in (self.department, self.source, self.priority))

    def matches(self, priority: str, department: str, source: str) -> bool:
        return (
            self.department in (None, department)
            and self.source in (None, source)
            and self.priority in (None, priority)
        )

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True, include=set(Policy.model_fields))


class Ola(_Strict):
    """A department's internal budget per escalation; a bare duration means 24/7."""

    budget: Duration
    calendar: str = ALWAYS_OPEN
    warn_at: WarnAt = DEFAULT_WARN_AT

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return {"budget": value} if isinstance(value, str | int) else value


def _audience(value: tuple[Recipient, ...]) -> tuple[Recipient, ...]:
    if not value or len(set(value)) != len(value):
        raise ValueError("list each recipient once, at least one: owner, oncall, manager")
    return value


Audience = Annotated[tuple[Recipient, ...], AfterValidator(_audience)]


class Reminders(_Strict):
    """Who hears each step: the n-th warning uses `warnings[n]` (the last entry repeats)."""

    warnings: tuple[Audience, ...] = Field(default=(("owner",), ("owner", "oncall")), min_length=1)
    breach: Audience = ("owner", "oncall", "manager")


class SlaConfig(_Strict):
    calendars: dict[Key, Calendar] = Field(default_factory=dict)
    policies: dict[PriorityName, Policy]
    overrides: tuple[PolicyOverride, ...] = ()
    ola: dict[Key, Ola] = Field(default_factory=dict)
    reminders: Reminders = Field(default_factory=Reminders)

    @field_validator("calendars", mode="before")
    @classmethod
    def _reserved(cls, value: Any) -> Any:
        if isinstance(value, dict) and ALWAYS_OPEN in value:
            raise ValueError(f"{ALWAYS_OPEN!r} is built in and cannot be redefined")
        return value

    @model_validator(mode="after")
    def _references(self) -> Self:
        missing = [p for p in PriorityName.__args__ if p not in self.policies]
        if missing:
            raise ValueError(f"policies: missing {', '.join(missing)} (every priority needs one)")
        refs = [(f"policies.{p}", pol.calendar) for p, pol in self.policies.items()]
        refs += [(f"overrides[{i}]", o.calendar) for i, o in enumerate(self.overrides)]
        refs += [(f"ola.{d}", o.calendar) for d, o in self.ola.items()]
        for where, name in refs:
            if name is not None and name != ALWAYS_OPEN and name not in self.calendars:
                raise ValueError(
                    f"{where}.calendar: unknown calendar {name!r}"
                    f" (define it under calendars, or use {ALWAYS_OPEN!r})"
                )
        return self

    def calendar(self, name: str) -> Calendar:
        return _ALWAYS if name == ALWAYS_OPEN else self.calendars[name]

    def check_departments(self, known: Collection[str]) -> None:
        """For the main config's validator: SLA keys must name departments that exist."""
        refs = [
            (f"sla.overrides[{i}].department", o.department) for i, o in enumerate(self.overrides)
        ]
        refs += [(f"sla.ola.{d}", d) for d in self.ola]
        for where, dept in refs:
            if dept is not None and dept not in known:
                raise ValueError(f"{where}: department {dept!r} is not under departments")


class Rotation(_Strict):
    """Who is on call: members take turns, handing over at a local time in `timezone`.

    `starts` is the local date members[0]'s first shift begins; it anchors the turn order
    so the current person is computed arithmetically, whatever the date.
    """

    members: tuple[SlackUserId, ...] = Field(min_length=1)
    handoff: Literal["daily", "weekly"] = "weekly"
    at: ClockTime = time(9, 0)
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


_ALWAYS = Calendar()
