"""What Casebot promises the customer: when a person will answer, in their words.

The promise is not a second computation beside the SLA: it is the due time of the case's
response clock (`Clock.due_at`, the very value the card renders), so what the customer is
told and what the team is held to are one instant. Only the wording is added here: the
instant in the calendar's own time zone, with the zone named ("Monday 09:00 CET"),
because a customer has no Slack date token to localise it for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.sla import Clock, ClockKind, ClockState, Pause, policy_for
from config.sla import SlaConfig

AMBIGUOUS_DAYS = 7
"""From a week away a weekday name alone could mean two dates, so the date is added."""
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
"""English whatever the process locale is (`%A` would follow it)."""


@dataclass(frozen=True)
class Promise:
    """`at` is the response clock's due instant; `zone` the zone of its calendar."""

    at: datetime
    zone: ZoneInfo
    late: bool = False
    """The clock breached: the promise was not kept (the page says sorry)."""

    def wording(self, now: datetime) -> str:
        return wording(self.at, self.zone, now=now)


def first_response_clock(
    sla: SlaConfig,
    *,
    priority: str,
    department: str,
    source: str,
    opened_at: datetime,
    pauses: tuple[Pause, ...] = (),
) -> Clock:
    """The first-response clock a case opened at `opened_at` gets: the case's policy after
    department and source overrides, on its business calendar (as `tracking.model`)."""
    policy = policy_for(sla, priority, department, source)
    return Clock(
        name=ClockKind.FIRST_RESPONSE.value,
        started_at=opened_at,
        window=policy.window(ClockKind.FIRST_RESPONSE),
        pauses=pauses,
    )


def of_clock(clock: Clock, now: datetime) -> Promise | None:
    """The promise a running clock makes at `now`; None once it stopped or while a pause
    holds it (waiting on the customer: nobody owes them an answer then)."""
    known = clock.as_of(now)
    due, state = known.due_at(), clock.state(now)
    if due is None or known.is_paused or state in (ClockState.MET, ClockState.MISSED):
        return None
    return Promise(at=due, zone=clock.window.calendar.zone, late=state is ClockState.BREACHED)


def zone_name(local: datetime) -> str:
    """`CET`, `BST`, `EDT`, `UTC`; a zone whose abbreviation is only an offset (`+03`)
    reads `UTC+03`."""
    name = local.tzname() or "UTC"
    return f"UTC{name}" if name[:1] in "+-" else name


def wording(at: datetime, zone: ZoneInfo, *, now: datetime) -> str:
    """ "Monday 09:00 CET": the weekday and time in `zone`, the date added when the
    weekday alone would be ambiguous (a week or more away from `now`, either way)."""
    local, today = at.astimezone(zone), now.astimezone(zone).date()
    when = WEEKDAYS[local.weekday()]
    if abs((local.date() - today).days) >= AMBIGUOUS_DAYS:
        when += f" {local.day} {MONTHS[local.month - 1]}"
        if local.year != today.year:
            when += f" {local.year}"
    return f"{when} {local:%H:%M} {zone_name(local)}"


def dated(at: datetime, zone: ZoneInfo) -> str:
    """A past moment with its date, for a record: "23 November 2026, 09:12 CET"."""
    local = at.astimezone(zone)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}, {local:%H:%M} {zone_name(local)}"
