"""The summary's figures from the rollup, equal to `storage.summary`'s (the reference):
whole days of the window from the daily sums, the partial days at either end from the
stored facts, and each stale case's stored share swapped for its live one. Each figure
is one statement; a median or p90 is located in the summed histogram, then read
exactly from the few values of its bucket."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

from sqlmodel import Session

from storage.holds import DepartmentHolds
from storage.rollup.sql import STALE, bucket, live_case_facts, live_hold_facts, micros
from storage.rollup.window import (
    Window,
    changed,
    dialect,
    facts,
    partial,
    run,
    stale,
    window,
)
from storage.summary import Compliance, Quantiles, Scope, Volume

_ANSWERED = ("not_needed", "elsewhere", "unanswered")
T = TypeVar("T")


def created(session: Session, scope: Scope, now: datetime) -> tuple[Volume, Compliance, Compliance]:
    """The cases opened in the window: `storage.summary.opened` (volume, first-response
    compliance) and `resolution_compliance`, in one statement plus the overdue ones."""
    d, w = dialect(session), window(scope)
    counts = ("fr_met", "fr_decided", "res_met", "res_decided")
    flags = [f"CASE WHEN f.answered = '{a}' THEN 1 ELSE 0 END" for a in _ANSWERED]
    live = ", ".join(["1", *(f"f.{c}" for c in counts), *flags])
    old = ", ".join(["-1", *(f"-f.{c}" for c in counts), *(f"-{f}" for f in flags)])
    where = w.days("f.created_day") + w.dept("f")
    union = [
        f"SELECT new, {', '.join(counts + _ANSWERED)} FROM summary_daily f"
        f" WHERE {w.days('day')}{w.dept('f')}",
        f"SELECT {old} FROM {stale(d, 'f.case_id', facts('case_facts'), where)} f",
        f"SELECT {live} FROM"
        f" {changed(d, 'c.id', 'c.created_at', lambda p: live_case_facts(d, p + w.dept('c')))} f",
        *(
            f"SELECT {live} FROM case_facts f WHERE {p}{w.dept('f')}"
            for p in partial("f.created_at")
        ),
    ]
    sums = ", ".join(f"coalesce(sum(u.{c}), 0)" for c in ("new", *counts, *_ANSWERED))
    sql = f"SELECT {sums} FROM ({' UNION ALL '.join(union)}) u"
    new, fr_met, fr_decided, res_met, res_decided, nn, ew, ua = (
        int(v) for v in run(session, sql, w.params()).one()
    )
    fr_late, res_late = _overdue(session, w, now)
    return (
        Volume(new, nn, ew, ua),
        Compliance(fr_met, fr_decided + fr_late),
        Compliance(res_met, res_decided + res_late),
    )


def _overdue(session: Session, w: Window, now: datetime) -> tuple[int, int]:
    """What is decided only because its deadline has passed by `now`, read live through
    partial indexes: cases of the window still without a first response (and not
    resolved "unanswered" or "no reply needed"), and resolution runs still running."""
    # Subqueries per row, not joins: PostgreSQL cannot tell how few unanswered cases
    # and running clocks there are, and would hash-join every clock, or every case of
    # the window.
    due = (
        "(SELECT fr.due_at FROM sla_clocks fr WHERE fr.case_id = c.id"
        " AND fr.name = 'first_response' AND fr.run = 1)"
    )
    first = (
        "SELECT count(*) FROM cases c"
        " WHERE c.first_response_at IS NULL AND c.created_at >= :since"
        " AND c.created_at <= :until"
        " AND (c.answered IS NULL OR c.answered NOT IN ('not_needed', 'unanswered'))"
        f" AND {due} <= :now{w.dept('c')}"
    )
    running = (
        "SELECT count(*) FROM sla_clocks r"
        " WHERE r.stopped_at IS NULL AND r.name = 'resolution' AND r.due_at <= :now"
        " AND (SELECT 1 FROM cases c WHERE c.id = r.case_id AND c.created_at >= :since"
        f" AND c.created_at <= :until{w.dept('c')}) = 1"
    )
    params = w.params(now=now)
    return (
        int(run(session, first, params).scalar_one()),
        int(run(session, running, params).scalar_one()),
    )


@dataclass(frozen=True)
class Metric:
    """A duration the summary takes the median and p90 of, as stored and as live."""

    name: str
    facts: str
    value: str
    bucket: str
    at: str
    day: str
    live_key: str
    live_at: str
    alias: str

    def live(self, dialect: str, where: str) -> str:
        if self.name == "held":
            return (
                "SELECT h.department AS department, h.held_us AS v FROM holds h"
                " JOIN cases c ON c.id = h.case_id WHERE h.ended_at IS NOT NULL"
                f" AND h.held_us IS NOT NULL AND c.escalations > 0 AND {where}"
            )
        end = "c.first_response_at" if self.name == "fr" else "c.resolved_at"
        return (
            f"SELECT c.department AS department, {micros(dialect, 'c.created_at', end)} AS v"
            f" FROM cases c WHERE {end} IS NOT NULL AND {where}"
        )


FIRST_RESPONSE = Metric(
    "fr", "case_facts", "fr_us", "fr_bucket", "created_at", "created_day", "c.id",
    "c.created_at", "c",
)  # fmt: skip
RESOLUTION = Metric(
    "res", "case_facts", "res_us", "res_bucket", "resolved_at", "resolved_day", "c.id",
    "c.resolved_at", "c",
)  # fmt: skip
HELD = Metric(
    "held", "hold_facts", "held_us", "held_bucket", "ended_at", "ended_day", "h.case_id",
    "h.ended_at", "h",
)  # fmt: skip


def _histogram(
    session: Session, m: Metric, w: Window, *, grouped: bool
) -> dict[str, list[tuple[int, int]]]:
    """Per group (the department, or one group ""), the counts per bucket, in order."""
    d = dialect(session)
    g = "{}.department" if grouped else "''"
    old_days = w.days(f"f.{m.day}") + f" AND f.{m.value} IS NOT NULL" + w.dept("f")
    union = [
        f"SELECT {g.format('f')} AS g, f.bucket AS b, f.n AS n FROM summary_hist f"
        f" WHERE f.metric = '{m.name}' AND {w.days('f.day')}{w.dept('f')}",
        f"SELECT {g.format('f')}, f.{m.bucket}, -1"
        f" FROM {stale(d, 'f.case_id', facts(m.facts), old_days)} f",
        f"SELECT {g.format('l')}, {bucket('l.v')}, 1 FROM"
        f" {changed(d, m.live_key, m.live_at, lambda p: m.live(d, p + w.dept(m.alias)))} l",
        *(
            f"SELECT {g.format('f')}, f.{m.bucket}, 1 FROM {m.facts} f"
            f" WHERE {p} AND f.{m.value} IS NOT NULL{w.dept('f')}"
            for p in partial(f"f.{m.at}")
        ),
    ]
    sql = (
        f"SELECT u.g, u.b, sum(u.n) FROM ({' UNION ALL '.join(union)}) u"
        " GROUP BY u.g, u.b HAVING sum(u.n) <> 0 ORDER BY u.g, u.b"
    )
    out: dict[str, list[tuple[int, int]]] = {}
    for group, b, n in run(session, sql, w.params()):
        out.setdefault(str(group), []).append((int(b), int(n)))
    return out


def _values(session: Session, m: Metric, w: Window, b: int, offset: int) -> list[int]:
    """The values of bucket `b` in the window from the `offset`-th smallest, at most 2."""
    d = session.get_bind().dialect.name
    union = [
        f"SELECT f.{m.value} AS v FROM {m.facts} f WHERE f.{m.bucket} = :b"
        f" AND f.{m.at} >= :since AND f.{m.at} <= :until"
        f" AND f.case_id NOT IN {STALE}{w.dept('f')}",
        f"SELECT l.v FROM"
        f" {changed(d, m.live_key, m.live_at, lambda p: m.live(d, p + w.dept(m.alias)))} l"
        f" WHERE {bucket('l.v')} = :b",
    ]
    sql = f"SELECT u.v FROM ({' UNION ALL '.join(union)}) u ORDER BY u.v LIMIT 2 OFFSET :k"
    return [int(v) for (v,) in run(session, sql, w.params(b=b, k=offset))]


class _Moved(Exception):
    """The cases changed between the histogram and a value read (another transaction
    committed in between, under READ COMMITTED): read again."""


def _rank(
    session: Session, m: Metric, w: Window, hist: list[tuple[int, int]], rank: int
) -> list[int]:
    """The value at 1-based `rank` and, when in the same bucket, the next one."""
    below = 0
    for b, n in hist:
        if below + n >= rank:
            got = _values(session, m, w, b, rank - below - 1)
            if not got:
                raise _Moved
            return got
        below += n
    raise _Moved


def _quantiles(session: Session, m: Metric, w: Window, hist: list[tuple[int, int]]) -> Quantiles:
    n = sum(c for _, c in hist)
    if n <= 0:
        return Quantiles(0, None, None)
    p90 = _rank(session, m, w, hist, (90 * n + 99) // 100)[0]
    middle = _rank(session, m, w, hist, (n + 1) // 2)
    if n % 2:
        return Quantiles(n, float(middle[0]), p90)
    upper = middle[1] if len(middle) > 1 else _rank(session, m, w, hist, n // 2 + 1)[0]
    return Quantiles(n, (middle[0] + upper) / 2, p90)


def _retry(read: Callable[[], T], tries: int = 3) -> T:
    for _ in range(tries - 1):
        try:
            return read()
        except _Moved:
            continue
    return read()


def times(session: Session, m: Metric, scope: Scope) -> Quantiles:
    """Median and p90 of a metric over the window (as `storage.summary`'s)."""
    w = window(scope)
    return _retry(
        lambda: _quantiles(session, m, w, _histogram(session, m, w, grouped=False).get("", []))
    )


def first_response_times(session: Session, scope: Scope) -> Quantiles:
    return times(session, FIRST_RESPONSE, scope)


def resolution_times(session: Session, scope: Scope) -> Quantiles:
    """Its count is also how many cases were resolved in the window."""
    return times(session, RESOLUTION, scope)


def _cause_counts(session: Session, w: Window, tags: Sequence[str] | None) -> dict[str, int]:
    d = dialect(session)
    only = " AND {}.root_cause IN :tags" if tags is not None else ""
    cases = (
        "SELECT c.root_cause AS t FROM cases c WHERE c.resolved_at IS NOT NULL"
        " AND c.root_cause IS NOT NULL AND {}" + w.dept("c") + only.format("c")
    )
    old_days = f"{w.days('f.resolved_day')} AND f.root_cause IS NOT NULL{w.dept('f')}"
    union = [
        f"SELECT f.root_cause AS t, f.n AS n FROM summary_causes f"
        f" WHERE {w.days('f.day')}{w.dept('f')}{only.format('f')}",
        f"SELECT f.root_cause, -1 FROM"
        f" {stale(d, 'f.case_id', facts('case_facts'), old_days + only.format('f'))} f",
        f"SELECT l.t, 1 FROM {changed(d, 'c.id', 'c.resolved_at', cases.format)} l",
        *(
            f"SELECT f.root_cause, 1 FROM case_facts f WHERE {p} AND f.root_cause IS NOT NULL"
            f"{w.dept('f')}{only.format('f')}"
            for p in partial("f.resolved_at")
        ),
    ]
    sql = (
        f"SELECT u.t, sum(u.n) FROM ({' UNION ALL '.join(union)}) u"
        " GROUP BY u.t HAVING sum(u.n) > 0"
    )
    return {str(t): int(n) for t, n in run(session, sql, w.params(tags=list(tags or [])))}


def root_causes(session: Session, scope: Scope, *, limit: int) -> list[tuple[str, int]]:
    """The most frequent root causes of the cases resolved in the window; ties go to the
    cause of the earliest case, read live only for the tied causes."""
    w = window(scope)
    counts = _cause_counts(session, w, None)
    ordered = sorted(counts.values(), reverse=True)
    if not ordered:
        return []
    cut = ordered[min(limit, len(ordered)) - 1]
    seen: dict[int, int] = {}
    for n in counts.values():
        seen[n] = seen.get(n, 0) + 1
    tied = [t for t, n in counts.items() if n >= cut and seen[n] > 1]
    first: dict[str, int] = {}
    if tied:
        sql = (
            "SELECT c.root_cause, min(c.id) FROM cases c WHERE c.resolved_at >= :since"
            f" AND c.resolved_at <= :until AND c.root_cause IN :tags{w.dept('c')}"
            " GROUP BY c.root_cause"
        )
        first = {str(t): int(i) for t, i in run(session, sql, w.params(tags=tied))}
    ranked = sorted(counts.items(), key=lambda tn: (-tn[1], first.get(tn[0], 0)))
    return ranked[:limit]


def root_cause_counts(session: Session, scope: Scope, tags: Sequence[str]) -> dict[str, int]:
    if not tags:
        return {}
    return _cause_counts(session, window(scope), list(tags))


def holds_by_department(
    session: Session, *, since: datetime, until: datetime, department: str | None, now: datetime
) -> list[DepartmentHolds]:
    """`storage.holds.by_department`, from the rollup."""
    w = window(Scope(since, until, department))
    return _retry(lambda: _holds(session, w, now))


def _open_and_late(session: Session, *, department: str | None, now: datetime) -> dict[str, int]:
    """`storage.holds.open_and_late` driven from the OLA clocks still running and past
    their deadline (the partial index of running clocks), not from every open hold."""
    sql = (
        "SELECT h.department, count(*) FROM sla_clocks k"
        " JOIN holds h ON h.case_id = k.case_id AND k.name = 'ola:' || h.department"
        " WHERE k.stopped_at IS NULL AND k.name >= 'ola:' AND k.name < 'ola;'"
        " AND k.due_at <= :now AND h.ended_at IS NULL AND h.arrived = 'escalated'"
        + (" AND h.department = :dept" if department else "")
        + " GROUP BY h.department"
    )
    params = {"now": now, "dept": department}
    return {str(d): int(n) for d, n in run(session, sql, params)}


def _holds(session: Session, w: Window, now: datetime) -> list[DepartmentHolds]:
    department = w.department
    per_group = _histogram(session, HELD, w, grouped=True)
    d = dialect(session)
    old_days = w.days("f.ended_day") + w.dept("f")

    def live(where: str) -> str:
        return live_hold_facts(d, where + w.dept("h"))

    union = [
        f"SELECT f.department AS d, f.judged AS j, f.met AS m FROM summary_ola_daily f"
        f" WHERE {w.days('f.day')}{w.dept('f')}",
        f"SELECT f.department, -f.judged, -f.met"
        f" FROM {stale(d, 'f.case_id', facts('hold_facts'), old_days)} f",
        f"SELECT f.department, f.judged, f.met"
        f" FROM {changed(d, 'h.case_id', 'h.ended_at', live)} f",
        *(
            f"SELECT f.department, f.judged, f.met FROM hold_facts f WHERE {p}{w.dept('f')}"
            for p in partial("f.ended_at")
        ),
    ]
    sql = f"SELECT u.d, sum(u.j), sum(u.m) FROM ({' UNION ALL '.join(union)}) u GROUP BY u.d"
    compliance = {str(d): (int(m), int(j)) for d, j, m in run(session, sql, w.params())}
    late = _open_and_late(session, department=department, now=now)
    out = []
    for dept in sorted(set(per_group) | set(late)):
        hist = per_group.get(dept, [])
        q = _quantiles(session, HELD, replace(w, department=dept), hist)
        m, n = compliance.get(dept, (0, 0)) if hist else (0, 0)
        out.append(DepartmentHolds(dept, q.count, q.median_us, q.p90_us, m, n + late.get(dept, 0)))
    return out
