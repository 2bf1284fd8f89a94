"""The numbers managers ask for: volume, SLA compliance, response times, backlog and the
root causes that keep coming back (with their trend against the previous period)."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlmodel import Session

from bot import permissions, sla
from bot.events import Refused
from bot.sla import tracking
from config.schema import CasebotConfig
from storage import summary as store
from storage.models import Case

PERIODS = {"today": None, "week": timedelta(days=7), "30d": timedelta(days=30)}


@dataclass(frozen=True)
class Summary:
    period: str
    department: str | None
    since: datetime
    until: datetime
    new: int
    open: int
    resolved: int
    breached: int
    first_response_met: float | None
    resolution_met: float | None
    first_response_median: timedelta | None
    first_response_p90: timedelta | None
    resolution_median: timedelta | None
    resolution_p90: timedelta | None
    backlog_by_department: list[tuple[str, int]]
    backlog_by_owner: list[tuple[str | None, int]]
    top_causes: list[tuple[str, int, int]]


def window(period: str, now: datetime) -> tuple[datetime, datetime]:
    """`today` is the UTC calendar day so far; `week` and `30d` are rolling windows."""
    span = PERIODS[period]
    if span is None:
        return datetime.combine(now.date(), time(0), tzinfo=now.tzinfo), now
    return now - span, now


def nearest_rank(values: Sequence[float], percent: int) -> float:
    """The nearest-rank percentile: the value at rank ⌈percent/100 · n⌉ of the sorted
    values, i.e. the smallest value that `percent` % of them do not exceed. It is always
    an observed value, never an interpolation (integer arithmetic: no float rounding)."""
    if not values or not 0 < percent <= 100:
        raise ValueError("nearest_rank needs values and a percent in (0, 100]")
    rank = (percent * len(values) + 99) // 100
    return sorted(values)[rank - 1]


def _whole_seconds(seconds: float) -> timedelta:
    """Times are reported in whole seconds, cut down (like the card's durations), here
    once, so the Slack text, the CSV and the JSON cannot round differently."""
    return timedelta(seconds=math.floor(seconds))


def _quantiles(values: list[timedelta]) -> tuple[timedelta | None, timedelta | None]:
    """The median (the middle value; the mean of the two middle ones for an even count)
    and the nearest-rank 90th percentile."""
    if not values:
        return None, None
    seconds = [v.total_seconds() for v in values]
    return (
        _whole_seconds(statistics.median(seconds)),
        _whole_seconds(nearest_rank(seconds, 90)),
    )


def _compliance(
    session: Session, cases: list[Case], name: str, config: CasebotConfig, now: datetime
) -> float | None:
    """Share of decided clocks that were met: met / (met + missed + breached)."""
    by_id = {c.id: c for c in cases}
    met = decided = 0
    for row in store.clocks_of(session, case_ids=[c.id or 0 for c in cases], name=name):
        clock = tracking.model(row, by_id[row.case_id], config)
        state = clock.state(now) if clock else None
        if state in (sla.ClockState.MET, sla.ClockState.MISSED, sla.ClockState.BREACHED):
            decided += 1
            met += state is sla.ClockState.MET
    return met / decided if decided else None


def summarize(
    session: Session,
    *,
    period: str,
    department: str | None,
    actor: str,
    config: CasebotConfig,
    now: datetime,
) -> Summary:
    """`/case summary` for one of the named periods, for whom the config allows."""
    permissions.require(config, actor, "summary")
    since, until = window(period, now)
    return compute(
        session,
        period=period,
        since=since,
        until=until,
        department=department,
        config=config,
        now=now,
    )


def compute(
    session: Session,
    *,
    period: str,
    since: datetime,
    until: datetime,
    department: str | None,
    config: CasebotConfig,
    now: datetime,
) -> Summary:
    """The numbers for any window (the report CLI passes `--since`)."""
    if department is not None and department not in config.departments:
        raise Refused(f"There is no department '{department}' ({', '.join(config.departments)}).")
    previous_since = since - (until - since)
    created = store.created_between(session, since=since, until=until, department=department)
    resolved = store.resolved_between(session, since=since, until=until, department=department)
    before = store.resolved_between(
        session, since=previous_since, until=since, department=department
    )
    backlog = store.open_cases(session, department=department)
    fr_median, fr_p90 = _quantiles(
        [c.first_response_at - c.created_at for c in created if c.first_response_at]
    )
    res_median, res_p90 = _quantiles(
        [c.resolved_at - c.created_at for c in resolved if c.resolved_at]
    )
    causes = Counter(c.root_cause for c in resolved if c.root_cause)
    earlier = Counter(c.root_cause for c in before if c.root_cause)
    return Summary(
        period=period,
        department=department,
        since=since,
        until=until,
        new=len(created),
        open=len(backlog),
        resolved=len(resolved),
        breached=len(
            store.breached_case_ids(session, since=since, until=until, department=department)
        ),
        first_response_met=_compliance(session, created, "first_response", config, now),
        resolution_met=_compliance(session, created, "resolution", config, now),
        first_response_median=fr_median,
        first_response_p90=fr_p90,
        resolution_median=res_median,
        resolution_p90=res_p90,
        backlog_by_department=Counter(c.department for c in backlog).most_common(),
        backlog_by_owner=Counter(c.owner_id for c in backlog).most_common(10),
        top_causes=[(tag, n, earlier.get(tag, 0)) for tag, n in causes.most_common(5)],
    )
