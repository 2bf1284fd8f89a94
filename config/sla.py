"""SLA policies as admins write them under `sla:`: windows per priority, overrides per
department or source, OLA budgets, and who hears each reminder step.

Everything is checked when the config loads, so the SLA core can trust what it is given:
a duration or a cross-reference that is wrong stops the process with a message naming
the key, instead of surfacing as a wrong due time.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, Field, field_validator, model_validator

from config.calendars import ALWAYS, ALWAYS_OPEN, Calendar
from config.common import Duration, Key, Strict
from config.holiday_days import Place

DEFAULT_WARN_AT = (0.5, 0.8)

PriorityName = Literal["urgent", "high", "normal", "low"]
Recipient = Literal["owner", "oncall", "manager"]


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


WarnAt = Annotated[tuple[float, ...], AfterValidator(_check_fractions)]


class Policy(Strict):
    first_response: Duration
    next_response: Duration
    resolution: Duration
    calendar: str = ALWAYS_OPEN
    warn_at: WarnAt = DEFAULT_WARN_AT


class PolicyOverride(Strict):
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


class Ola(Strict):
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


class Reminders(Strict):
    """Who hears each step: the n-th warning uses `warnings[n]` (the last entry repeats)."""

    warnings: tuple[Audience, ...] = Field(default=(("owner",), ("owner", "oncall")), min_length=1)
    breach: Audience = ("owner", "oncall", "manager")


class SlaConfig(Strict):
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
        return ALWAYS if name == ALWAYS_OPEN else self.calendars[name]

    def holiday_places(self) -> set[Place]:
        """Every place whose public holidays some calendar closes on."""
        return {c.holidays.place for c in self.calendars.values() if c.holidays.place}

    def check_departments(self, known: Collection[str]) -> None:
        """For the main config's validator: SLA keys must name departments that exist."""
        refs = [
            (f"sla.overrides[{i}].department", o.department) for i, o in enumerate(self.overrides)
        ]
        refs += [(f"sla.ola.{d}", d) for d in self.ola]
        for where, dept in refs:
            if dept is not None and dept not in known:
                raise ValueError(f"{where}: department {dept!r} is not under departments")
