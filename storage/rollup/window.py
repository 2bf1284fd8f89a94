"""The window a rollup read covers, and the pieces every read is made of: whole days
from the sums, partial days from the stored facts, stale cases live."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, text
from sqlmodel import Session

from storage.rollup.sql import STALE
from storage.summary import Scope, no_jit
from storage.types import UTCDateTime

DAY = timedelta(days=1)
_US = timedelta(microseconds=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_INSTANTS = ("since", "until", "lo_t", "hi_t", "now")


@dataclass(frozen=True)
class Window:
    """[since, until] as the whole UTC days [lo_day, hi_day) — the instants [lo_t, hi_t)
    — and the partial days either side; with no whole day, all of it is partial."""

    since: datetime
    until: datetime
    lo_day: int
    hi_day: int
    department: str | None

    @property
    def lo_t(self) -> datetime:
        return EPOCH + self.lo_day * DAY if self.lo_day < self.hi_day else self.until + _US

    @property
    def hi_t(self) -> datetime:
        return EPOCH + self.hi_day * DAY if self.lo_day < self.hi_day else self.until + _US

    def params(self, **more: Any) -> dict[str, Any]:
        return {
            "since": self.since,
            "until": self.until,
            "lo_day": self.lo_day,
            "hi_day": self.hi_day,
            "lo_t": self.lo_t,
            "hi_t": self.hi_t,
            "dept": self.department,
            **more,
        }

    def dept(self, alias: str) -> str:
        return f" AND {alias}.department = :dept" if self.department else ""

    def days(self, column: str) -> str:
        return f"{column} >= :lo_day AND {column} < :hi_day"


def window(scope: Scope) -> Window:
    first = -((EPOCH - scope.since) // DAY)  # the first midnight at or after `since`
    last = (scope.until + _US - EPOCH) // DAY  # the first midnight after `until`
    return Window(scope.since, scope.until, first, max(first, last), scope.department)


def run(session: Session, sql: str, params: dict[str, Any]) -> Any:
    binds = [bindparam(k, type_=UTCDateTime()) for k in _INSTANTS if f":{k}" in sql]
    if ":tags" in sql:
        binds.append(bindparam("tags", expanding=True))
    used = {k: v for k, v in params.items() if f":{k}" in sql}
    return session.execute(text(sql).bindparams(*binds), used)


Build = Callable[[str], str]
"""A SELECT of live rows for a where-clause."""


def stale(d: str, key: str, build: Build, where: str) -> str:
    """`build`'s rows of the stale cases only, as a relation driven from the marks (a
    few thousand at most between two folds) whatever the planner's statistics say:
    on PostgreSQL a LATERAL subquery per mark (`OFFSET 0` keeps the planner from
    flattening it into a scan of the window), on SQLite a rowid IN-list."""
    if d == "postgresql":
        inner = build(f"{key} = s.case_id AND {where}")
        return f"(SELECT l.* FROM summary_stale s CROSS JOIN LATERAL ({inner} OFFSET 0) l)"
    return f"({build(f'{key} IN {STALE} AND {where}')})"


def changed(d: str, key: str, at: str, build: Build) -> str:
    """The stale cases' live rows over the whole window."""
    return stale(d, key, build, f"{at} >= :since AND {at} <= :until")


def partial(at: str) -> list[str]:
    """The partial days at either end, for the stored facts of the cases not stale
    (read through the index on `at`: no joins, no durations worked out)."""
    fresh = f"f.case_id NOT IN {STALE}"
    return [
        f"{at} >= :since AND {at} < :lo_t AND {fresh}",
        f"{at} >= :hi_t AND {at} <= :until AND {fresh}",
    ]


def facts(table: str, columns: str = "f.*") -> Build:
    return lambda where: f"SELECT {columns} FROM {table} f WHERE {where}"


def dialect(session: Session) -> str:
    """The dialect, JIT off (`storage.summary.no_jit`): these statements take
    milliseconds."""
    no_jit(session)
    return session.get_bind().dialect.name
