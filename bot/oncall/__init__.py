"""Who is on call, computed from the rotation and the clock rather than stored.

Shifts are numbered by local handoff dates since the rotation's epoch, so the answer is
one subtraction whatever the date, and a handoff at 09:00 local stays at 09:00 local
across DST changes. Each shift ends exactly where the next begins: no gaps, no overlaps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from config.oncall import Rotation


@dataclass(frozen=True)
class OncallOverride:
    """Someone covers for the rotation from `start` until just before `end`."""

    user_id: str
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("override times must be aware datetimes")
        if self.end <= self.start:
            raise ValueError("an override must end after it starts")

    def active(self, at: datetime) -> bool:
        return self.start <= at < self.end


@dataclass(frozen=True)
class Shift:
    user_id: str
    start: datetime
    end: datetime


def _handoff_instant(rotation: Rotation, day: date) -> datetime:
    local = datetime.combine(day, rotation.at, tzinfo=rotation.zone)
    return local.astimezone(UTC)


def current_shift(rotation: Rotation, at: datetime) -> Shift:
    """The rotation's shift containing `at`, overrides aside."""
    if at.tzinfo is None:
        raise ValueError("on-call lookups need an aware datetime")
    period = rotation.period_days
    today = at.astimezone(rotation.zone).date()
    day = today - timedelta(days=(today - rotation.epoch).days % period)
    if at < _handoff_instant(rotation, day):
        day -= timedelta(days=period)
    index = (day - rotation.epoch).days // period
    return Shift(
        user_id=rotation.members[index % len(rotation.members)],
        start=_handoff_instant(rotation, day),
        end=_handoff_instant(rotation, day + timedelta(days=period)),
    )


def next_handoff(rotation: Rotation, after: datetime) -> datetime:
    """The first handoff strictly after `after`."""
    return current_shift(rotation, after).end


def _override_at(overrides: Sequence[OncallOverride], at: datetime) -> OncallOverride | None:
    """The most recently started active override wins; on a tie, the later one listed."""
    active = [o for o in overrides if o.active(at)]
    return max(reversed(active), key=lambda o: o.start, default=None)


def on_call(
    rotation: Rotation | None, overrides: Sequence[OncallOverride], at: datetime
) -> str | None:
    """None only when there is neither a rotation nor an active override."""
    override = _override_at(overrides, at)
    if override is not None:
        return override.user_id
    return current_shift(rotation, at).user_id if rotation is not None else None


def on_call_next(rotation: Rotation, overrides: Sequence[OncallOverride], after: datetime) -> Shift:
    """The next rotation shift, naming whoever will actually be on when it begins."""
    upcoming = current_shift(rotation, next_handoff(rotation, after))
    user = on_call(rotation, overrides, upcoming.start) or upcoming.user_id
    return Shift(user, upcoming.start, upcoming.end)


def next_change(
    rotation: Rotation | None, overrides: Sequence[OncallOverride], after: datetime
) -> datetime | None:
    """The next instant the answer of `on_call` may change: a handoff or an override edge."""
    edges = [t for o in overrides for t in (o.start, o.end) if t > after]
    if rotation is not None:
        edges.append(next_handoff(rotation, after))
    return min(edges, default=None)


def responders(
    rotation: Rotation | None,
    overrides: Sequence[OncallOverride],
    at: datetime,
    managers: Sequence[str],
) -> list[str]:
    """Who gets paged: the on-call person, or the department's managers when nobody is."""
    person = on_call(rotation, overrides, at)
    return [person] if person is not None else list(managers)
