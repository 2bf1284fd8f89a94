"""The numbers managers ask for: volume, SLA compliance, response times, backlog and the
root causes that keep coming back (with their trend against the previous period).

Every figure is an aggregate the database computes (`storage.summary`); this module
only names the window and turns microseconds into the whole seconds every output shows.
What counts as a first response is defined in `bot.answered`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from bot import periods, permissions
from bot.events import Refused
from bot.periods import Period
from bot.problems.ids import format_problem_id
from config.schema import CasebotConfig
from storage import problems as problem_store
from storage import summary as store
from storage.rollup import read as rollup
from storage.summary import Compliance, Quantiles, Scope

TOP_CAUSES = 5
TOP_OWNERS = 10
TOP_PROBLEMS = 10


@dataclass(frozen=True)
class OlaLine:
    """Which department used the customer's time: its holds of cases escalated at least
    once that ended in the period (see `bot.ola`)."""

    department: str
    holds: int
    median: timedelta | None
    p90: timedelta | None
    met: float | None
    """Share of the holds judged against the OLA budget that stayed within it."""
    judged: int


@dataclass(frozen=True)
class ProblemLine:
    """A problem first seen in the period: how big, from where, how fast it was
    answered (its first case answered) and fixed (resolved), counted from first seen."""

    ref: str
    size: int
    sources: list[tuple[str, int]]
    to_first_answer: timedelta | None
    to_resolve: timedelta | None
    root_cause: str | None
    status: str


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
    answered_elsewhere: int = 0
    """Of the new cases: resolved "answered elsewhere" (counted as answered)."""
    no_reply_needed: int = 0
    """Of the new cases: resolved "no reply needed", left out of first-response compliance."""
    unanswered: int = 0
    """Of the new cases: resolved without a reply or a reason (first response missed)."""
    ola: list[OlaLine] = field(default_factory=list)
    problems: list[ProblemLine] = field(default_factory=list)


def nearest_rank(values: Sequence[float], percent: int) -> float:
    """The nearest-rank percentile: the value at rank ⌈percent/100 · n⌉ of the sorted
    values, i.e. the smallest value that `percent` % of them do not exceed. It is always
    an observed value, never an interpolation (integer arithmetic: no float rounding).
    The database computes the same (see `storage.summary`); this is its definition."""
    if not values or not 0 < percent <= 100:
        raise ValueError("nearest_rank needs values and a percent in (0, 100]")
    rank = (percent * len(values) + 99) // 100
    return sorted(values)[rank - 1]


def whole_seconds(micros: float | None) -> timedelta | None:
    """Times are reported in whole seconds, cut down (like the card's durations), here
    once, so the Slack text, the CSV and the JSON cannot round differently."""
    return None if micros is None else timedelta(seconds=int(micros // 1_000_000))


def _times(q: Quantiles) -> tuple[timedelta | None, timedelta | None]:
    return whole_seconds(q.median_us), whole_seconds(q.p90_us)


def _share(c: Compliance) -> float | None:
    return c.met / c.decided if c.decided else None


def summarize(
    session: Session,
    *,
    period: str,
    department: str | None,
    actor: str,
    config: CasebotConfig,
    now: datetime,
) -> Summary:
    """`/case summary` for a period as typed (`today`, `week`, `30d`, a range of days),
    for whom the config allows."""
    permissions.require(config, actor, "summary")
    try:
        window = periods.parse(period, now)
    except ValueError as exc:
        raise Refused(str(exc)) from None
    return compute(session, period=window, department=department, config=config, now=now)


def check_department(config: CasebotConfig, department: str | None) -> None:
    if department is not None and department not in config.departments:
        raise Refused(f"There is no department '{department}' ({', '.join(config.departments)}).")


def compute(
    session: Session,
    *,
    period: Period,
    department: str | None,
    config: CasebotConfig,
    now: datetime,
) -> Summary:
    """The numbers for any window (the report and the digests pass their own)."""
    check_department(config, department)
    scope = Scope(period.since, period.until, department)
    before = period.previous
    volume, first_response, resolution = rollup.created(session, scope, now)
    fr_median, fr_p90 = _times(rollup.first_response_times(session, scope))
    resolved = rollup.resolution_times(session, scope)
    res_median, res_p90 = _times(resolved)
    causes = rollup.root_causes(session, scope, limit=TOP_CAUSES)
    earlier = rollup.root_cause_counts(
        session, Scope(before.since, before.until, department), [tag for tag, _ in causes]
    )
    by_department = store.backlog(session, by="department", department=department, limit=None)
    return Summary(
        period=period.label,
        department=department,
        since=period.since,
        until=period.until,
        new=volume.new,
        open=store.open_count(session, department),
        resolved=resolved.count,
        breached=store.breached_cases(session, scope),
        first_response_met=_share(first_response),
        resolution_met=_share(resolution),
        first_response_median=fr_median,
        first_response_p90=fr_p90,
        resolution_median=res_median,
        resolution_p90=res_p90,
        backlog_by_department=[(str(d), n) for d, n in by_department],
        backlog_by_owner=store.backlog(
            session, by="owner", department=department, limit=TOP_OWNERS
        ),
        top_causes=[(tag, n, earlier.get(tag, 0)) for tag, n in causes],
        answered_elsewhere=volume.elsewhere,
        no_reply_needed=volume.not_needed,
        unanswered=volume.unanswered,
        ola=ola_lines(session, period=period, department=department, now=now),
        problems=problem_lines(session, period=period, department=department),
    )


def problem_lines(session: Session, *, period: Period, department: str | None) -> list[ProblemLine]:
    def since_seen(p: problem_store.PeriodProblem, at: datetime | None) -> timedelta | None:
        return whole_seconds((at - p.first_seen).total_seconds() * 1e6) if at else None

    return [
        ProblemLine(
            ref=format_problem_id(p.problem_id),
            size=p.size,
            sources=p.sources,
            to_first_answer=since_seen(p, p.first_answer),
            to_resolve=since_seen(p, p.resolved_at),
            root_cause=p.root_cause,
            status=p.status,
        )
        for p in problem_store.in_period(
            session,
            since=period.since,
            until=period.until,
            department=department,
            limit=TOP_PROBLEMS,
        )
    ]


def ola_lines(
    session: Session, *, period: Period, department: str | None, now: datetime
) -> list[OlaLine]:
    return [
        OlaLine(
            department=d.department,
            holds=d.holds,
            median=whole_seconds(d.median_us),
            p90=whole_seconds(d.p90_us),
            met=d.met / d.decided if d.decided else None,
            judged=d.decided,
        )
        for d in rollup.holds_by_department(
            session, since=period.since, until=period.until, department=department, now=now
        )
    ]


def to_data(s: Summary) -> dict[str, Any]:
    """The summary as JSON-able data (a queued digest carries it): instants in ISO 8601,
    durations in whole seconds."""
    out = asdict(s)
    for key, value in out.items():
        if isinstance(value, datetime):
            out[key] = value.isoformat()
        elif isinstance(value, timedelta):
            out[key] = int(value.total_seconds())
    out["ola"] = [{**asdict(o), "median": _secs(o.median), "p90": _secs(o.p90)} for o in s.ola]
    out["problems"] = [
        {
            **asdict(p),
            "to_first_answer": _secs(p.to_first_answer),
            "to_resolve": _secs(p.to_resolve),
        }
        for p in s.problems
    ]
    return out


def from_data(data: dict[str, Any]) -> Summary:
    values = dict(data)
    for key in ("since", "until"):
        values[key] = datetime.fromisoformat(values[key])
    for f in fields(Summary):
        if f.name.endswith(("_median", "_p90")):
            values[f.name] = _span(values[f.name])
    values["backlog_by_department"] = [tuple(x) for x in values["backlog_by_department"]]
    values["backlog_by_owner"] = [tuple(x) for x in values["backlog_by_owner"]]
    values["top_causes"] = [tuple(x) for x in values["top_causes"]]
    values["ola"] = [
        OlaLine(**{**o, "median": _span(o["median"]), "p90": _span(o["p90"])})
        for o in values["ola"]
    ]
    values["problems"] = [
        ProblemLine(
            **{
                **p,
                "sources": [tuple(x) for x in p["sources"]],
                "to_first_answer": _span(p["to_first_answer"]),
                "to_resolve": _span(p["to_resolve"]),
            }
        )
        for p in values.get("problems", [])
    ]
    return Summary(**values)


def _secs(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds())


def _span(value: int | None) -> timedelta | None:
    return None if value is None else timedelta(seconds=value)
