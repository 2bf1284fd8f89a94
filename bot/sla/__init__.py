"""SLA clocks as pure values: built from stored facts, asked questions at an instant `now`.

A clock is never "ticked"; its due time, state and reminder instants are recomputed from
when it started, when it was paused and resumed, and when it was satisfied. That keeps
restarts, several workers and back-dated reports consistent with each other.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import cast

from bot.sla.calendar import add_business_time, business_time_between, next_open
from config.calendars import Calendar
from config.sla import DEFAULT_WARN_AT, PriorityName, Recipient, Reminders, SlaConfig

BREACH = "breach"
OLA_PREFIX = "ola:"


class ClockKind(StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"


class ClockState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    BREACHED = "breached"
    MET = "met"
    MISSED = "missed"
    """Satisfied, but after the window ran out: counts as a breach in reports."""


def ola_clock_name(department: str) -> str:
    return f"{OLA_PREFIX}{department}"


@dataclass(frozen=True)
class Window:
    """How much business time a clock grants, on which calendar, warning at which fractions."""

    duration: timedelta
    calendar: Calendar
    warn_at: tuple[float, ...] = DEFAULT_WARN_AT


@dataclass(frozen=True)
class Pause:
    """The case waited on the customer from `paused_at` until `resumed_at` (None: still)."""

    paused_at: datetime
    resumed_at: datetime | None = None


@dataclass(frozen=True)
class Threshold:
    """A reminder step; `at` is None while a pause holds the clock short of it."""

    name: str
    step: int
    fraction: float
    at: datetime | None

    @property
    def is_breach(self) -> bool:
        return self.name == BREACH


def threshold_name(fraction: float) -> str:
    """Stable names (`warn50`) key the reminder rows, so they depend on the percent only."""
    return f"warn{round(fraction * 100)}"


def _require_aware(*times: datetime | None) -> None:
    for t in times:
        if t is not None and (t.tzinfo is None or t.utcoffset() is None):
            raise ValueError(f"SLA clocks need aware datetimes, got {t.isoformat()}")


@dataclass(frozen=True)
class Clock:
    name: str
    started_at: datetime
    window: Window
    pauses: tuple[Pause, ...] = ()
    stopped_at: datetime | None = None
    _spans: tuple[tuple[datetime, datetime | None], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        """Pauses from before the start are clipped: a clock may start while the case waits."""
        _require_aware(self.started_at, self.stopped_at)
        if self.stopped_at is not None and self.stopped_at < self.started_at:
            raise ValueError(f"{self.name}: stopped before it started")
        spans: list[tuple[datetime, datetime | None]] = []
        for i, p in enumerate(self.pauses):
            _require_aware(p.paused_at, p.resumed_at)
            if p.resumed_at is not None and p.resumed_at < p.paused_at:
                raise ValueError(f"{self.name}: pause {i} resumes before it starts")
            if spans and (spans[-1][1] is None or p.paused_at < spans[-1][1]):
                raise ValueError(f"{self.name}: pauses must be in order and must not overlap")
            if p.resumed_at is None or p.resumed_at > self.started_at:
                spans.append((max(p.paused_at, self.started_at), p.resumed_at))
        object.__setattr__(self, "_spans", tuple(spans))

    def as_of(self, now: datetime) -> Clock:
        """The clock as it was known at `now`: later pauses, resumptions and stops unseen."""
        _require_aware(now)
        pauses = tuple(
            Pause(p.paused_at, p.resumed_at if p.resumed_at and p.resumed_at <= now else None)
            for p in self.pauses
            if p.paused_at <= now
        )
        stopped = self.stopped_at if self.stopped_at and self.stopped_at <= now else None
        return replace(self, pauses=pauses, stopped_at=stopped)

    @property
    def is_paused(self) -> bool:
        return bool(self._spans) and self._spans[-1][1] is None

    def reaches(self, used: timedelta) -> datetime | None:
        """When `used` business time will have run, pauses excluded; None if held by a pause."""
        cal, cursor, remaining = self.window.calendar, self.started_at, used
        for paused_at, resumed_at in self._spans:
            before_pause = business_time_between(cal, cursor, paused_at)
            if remaining <= before_pause:
                break
            if resumed_at is None:
                return None
            remaining -= before_pause
            cursor = resumed_at
        return add_business_time(cal, cursor, remaining)

    def due_at(self) -> datetime | None:
        return self.reaches(self.window.duration)

    def elapsed(self, now: datetime) -> timedelta:
        """Business time used by `now` (or by the stop), pauses excluded."""
        cal, end = self.window.calendar, min(now, self.stopped_at or now)
        total = max(timedelta(0), business_time_between(cal, self.started_at, end))
        for paused_at, resumed_at in self._spans:
            stop = min(end, resumed_at or end)
            if stop > paused_at:
                total -= business_time_between(cal, paused_at, stop)
        return total

    def fraction(self, now: datetime) -> float:
        return self.elapsed(now) / self.window.duration

    def state(self, now: datetime) -> ClockState:
        known = self.as_of(now)
        due = known.due_at()
        if known.stopped_at is not None:
            late = due is not None and known.stopped_at > due
            return ClockState.MISSED if late else ClockState.MET
        if due is not None and now >= due:
            return ClockState.BREACHED
        return ClockState.PAUSED if known.is_paused else ClockState.RUNNING

    def remaining(self, now: datetime) -> timedelta | None:
        """Real time until due (negative once overdue); None when stopped or paused short."""
        known = self.as_of(now)
        due = known.due_at()
        return None if known.stopped_at is not None or due is None else due - now

    def thresholds(self) -> tuple[Threshold, ...]:
        steps = [*self.window.warn_at, 1.0]
        return tuple(
            Threshold(
                name=BREACH if i == len(steps) - 1 else threshold_name(f),
                step=i,
                fraction=f,
                at=self.reaches(self.window.duration * f),
            )
            for i, f in enumerate(steps)
        )


def send_at(
    threshold: Threshold, calendar: Calendar, snoozed_until: datetime | None = None
) -> datetime | None:
    """When a reminder may go out: snooze and closed hours defer warnings, never a breach."""
    if threshold.at is None or threshold.is_breach:
        return threshold.at
    at = max(threshold.at, snoozed_until) if snoozed_until else threshold.at
    return next_open(calendar, at)


def due_thresholds(
    clock: Clock,
    now: datetime,
    sent: Collection[str] = (),
    snoozed_until: datetime | None = None,
) -> list[Threshold]:
    """Reminders to send at `now`, mildest first; none once the clock is paused or stopped.

    After a late sweep several may be due at once: claim them all and send the last.
    """
    known = clock.as_of(now)
    if known.stopped_at is not None or known.is_paused:
        return []
    cal = clock.window.calendar
    return [
        t
        for t in known.thresholds()
        if t.name not in sent and (when := send_at(t, cal, snoozed_until)) and when <= now
    ]


def next_due_at(
    clock: Clock, sent: Collection[str] = (), snoozed_until: datetime | None = None
) -> datetime | None:
    """The instant the sweep should next look at this clock (store it indexed)."""
    if clock.stopped_at is not None or clock.is_paused:
        return None
    cal = clock.window.calendar
    times = [
        when
        for t in clock.thresholds()
        if t.name not in sent and (when := send_at(t, cal, snoozed_until))
    ]
    return min(times, default=None)


def crossed(clock: Clock, now: datetime, shown: Collection[str] = ()) -> list[Threshold]:
    """Thresholds reached by `now` that the card has not been re-rendered for.

    Unlike reminders, crossings are never deferred (by a snooze or closed hours): the
    card's relative words must follow the clock whether or not anyone is told.
    """
    known = clock.as_of(now)
    if known.stopped_at is not None:
        return []
    return [
        t for t in known.thresholds() if t.name not in shown and t.at is not None and t.at <= now
    ]


def next_crossing(clock: Clock, shown: Collection[str] = ()) -> datetime | None:
    """When the clock next crosses a threshold the card has not been re-rendered for."""
    if clock.stopped_at is not None or clock.is_paused:
        return None
    times = [t.at for t in clock.thresholds() if t.name not in shown and t.at is not None]
    return min(times, default=None)


def audience(reminders: Reminders, threshold: Threshold, *, owned: bool) -> tuple[Recipient, ...]:
    """Who hears a step; an unowned case has no owner, so its on-call hears it instead."""
    if threshold.is_breach:
        chosen = reminders.breach
    else:
        chosen = reminders.warnings[min(threshold.step, len(reminders.warnings) - 1)]
    if owned:
        return chosen
    swapped = ("oncall" if r == "owner" else r for r in chosen)
    return tuple(dict.fromkeys(swapped))


@dataclass(frozen=True)
class ResolvedPolicy:
    """One priority's windows after department and source overrides are applied."""

    first_response: timedelta
    next_response: timedelta
    resolution: timedelta
    calendar_name: str
    calendar: Calendar
    warn_at: tuple[float, ...]

    def window(self, kind: ClockKind) -> Window:
        return Window(getattr(self, kind.value), self.calendar, self.warn_at)


def policy_for(sla: SlaConfig, priority: str, department: str, source: str) -> ResolvedPolicy:
    """Matching overrides apply least specific first, so the most specific one wins a field;
    among equally specific ones the later in the list wins."""
    fields = sla.policies[cast(PriorityName, priority)].model_dump()
    matching = [o for o in sla.overrides if o.matches(priority, department, source)]
    for override in sorted(matching, key=lambda o: o.specificity()):
        fields.update(override.changes())
    return ResolvedPolicy(
        first_response=fields["first_response"],
        next_response=fields["next_response"],
        resolution=fields["resolution"],
        calendar_name=fields["calendar"],
        calendar=sla.calendar(fields["calendar"]),
        warn_at=tuple(fields["warn_at"]),
    )


def ola_window(sla: SlaConfig, department: str) -> Window | None:
    """None when the department has no OLA: escalations to it start no internal clock."""
    ola = sla.ola.get(department)
    if ola is None:
        return None
    return Window(ola.budget, sla.calendar(ola.calendar), ola.warn_at)


def format_duration(span: timedelta) -> str:
    """Two units at most ("3 h 20 min"), rounded down, so the card never overstates time."""
    seconds = max(0, int(span.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if hours == 0:
        return f"{minutes} min"
    if days == 0:
        rest = minutes % 60
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    rest = hours % 24
    return f"{days} d {rest} h" if rest else f"{days} d"


def clock_label(name: str) -> str:
    if name.startswith(OLA_PREFIX):
        return f"{name.removeprefix(OLA_PREFIX)} OLA"
    return name.replace("_", " ")


@dataclass(frozen=True)
class ClockReading:
    """One clock read at one instant, as data rather than words: a renderer that can show
    `due_at` as a time each reader sees in their own zone (the card) does so; plain-text
    surfaces use `text`, which is true at the instant it was read."""

    name: str
    state: ClockState
    due_at: datetime | None
    """None while a pause holds the clock short of its window."""
    remaining: timedelta | None
    """Real time from the reading (from the stop, for a stopped clock) to `due_at`;
    negative once overdue. None when `due_at` is."""
    business_hours: bool
    """The window counts opening hours only: while the calendar is closed the real time
    left shrinks but no threshold is crossed, so nothing re-renders relative words."""

    @property
    def label(self) -> str:
        return clock_label(self.name)

    @property
    def text(self) -> str:
        """Plain words: due in, paused, BREACHED ago, met or missed."""
        label, left = self.label, self.remaining
        if self.state is ClockState.MET:
            return f"{label} met"
        if self.state is ClockState.PAUSED or left is None:
            return f"{label} paused — waiting on customer"
        if self.state is ClockState.MISSED:
            return f"{label} missed by {format_duration(-left)}"
        if self.state is ClockState.BREACHED:
            return f"{label} BREACHED {format_duration(-left)} ago"
        return f"{label} due in {format_duration(left)}"


def read(clock: Clock, now: datetime) -> ClockReading:
    known = clock.as_of(now)
    due = known.due_at()
    return ClockReading(
        name=clock.name,
        state=clock.state(now),
        due_at=due,
        remaining=None if due is None else due - (known.stopped_at or now),
        business_hours=not clock.window.calendar.always_open,
    )


def describe(clock: Clock, now: datetime) -> str:
    """The plain-text line for a clock at `now` (reminders, lists, handoff briefings)."""
    return read(clock, now).text
