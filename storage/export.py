"""One row per case for `casebot report --cases`, streamed: a single query ordered by
opening, whose per-case lists (sources, departments in order, breached clocks) are
correlated subqueries over indexed `case_id` columns, read through a server-side
cursor on PostgreSQL (SQLite's cursor is lazy), so memory stays flat however many rows.

The export spends its time per row, so there is no object per row: the query writes
ids and seconds as the CSV shows them, and Python turns the driver's own values (no
column types, so no datetime parsed and formatted again on SQLite) into a tuple."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, text
from sqlmodel import Session

from storage.rollup.sql import micros
from storage.summary import Scope, created_in, is_postgres, no_jit
from storage.types import UTCDateTime

CHUNK = 5000
CASE_COLUMNS = (
    "id",
    "sources",
    "departments",
    "owner",
    "priority",
    "answered",
    "opened",
    "first_response",
    "first_response_s",
    "resolved",
    "resolution_s",
    "breaches",
    "root_cause",
    "problem",
)


def _iso_text(stored: str | None) -> str | None:
    """SQLite's stored text (`YYYY-MM-DD HH:MM:SS.ffffff`) as `isoformat()` writes the
    aware instant: microseconds only when not zero."""
    if stored is None:
        return None
    if stored[19:] in ("", ".000000"):
        return f"{stored[:10]}T{stored[11:19]}+00:00"
    return f"{stored[:10]}T{stored[11:]}+00:00"


def _iso(naive: datetime | None) -> str | None:
    """PostgreSQL's naive UTC datetime as `isoformat()` writes the aware instant."""
    return None if naive is None else naive.isoformat() + "+00:00"


def _seconds(dialect: str, start: str, end: str) -> str:
    """Seconds as a double, the same IEEE value as Python's `micros / 1_000_000`."""
    return f"CAST({micros(dialect, start, end)} AS DOUBLE PRECISION) / 1000000"


def _lists(dialect: str) -> tuple[str, str, str]:
    """Sources, holds as `id:department`, breached clocks: as they come, put in order
    in Python (`_sorted`, `_in_order`) only when there are several, the rare case; an
    ordered or DISTINCT aggregate per row costs PostgreSQL more than the whole row."""
    agg = "string_agg" if dialect == "postgresql" else "group_concat"
    hold = "CAST(h.id AS TEXT) || ':' || h.department"
    return (
        f"SELECT {agg}(p.source, ' ') FROM posts p WHERE p.case_id = c.id",
        f"SELECT {agg}({hold}, ' ') FROM holds h WHERE h.case_id = c.id",
        f"SELECT {agg}(k.name, ' ') FROM reminders r JOIN sla_clocks k ON k.id = r.clock_id"
        " WHERE r.case_id = c.id AND r.threshold = 'breach'",
    )


def count(session: Session, scope: Scope) -> int:
    return int(session.execute(select(func.count()).where(*created_in(scope))).scalar_one())


def case_rows(session: Session, scope: Scope) -> Iterator[tuple[Any, ...]]:
    """The cases opened in the window, oldest first, as the values of `CASE_COLUMNS`."""
    d = "postgresql" if is_postgres(session) else "sqlite"
    sources, departments, breaches = _lists(d)
    where = "c.created_at >= :since AND c.created_at <= :until"
    if scope.department:
        where += " AND c.department = :dept"
    sql = f"""
        SELECT 'C-' || c.id, ({sources}), ({departments}), c.owner_id, c.priority,
          c.answered, c.created_at, c.first_response_at,
          {_seconds(d, "c.created_at", "c.first_response_at")}, c.resolved_at,
          {_seconds(d, "c.created_at", "c.resolved_at")}, ({breaches}), c.root_cause,
          'P-' || c.problem_id
        FROM cases c WHERE {where} ORDER BY c.created_at, c.id"""
    stmt = text(sql).bindparams(
        bindparam("since", type_=UTCDateTime()), bindparam("until", type_=UTCDateTime())
    )
    params = {"since": scope.since, "until": scope.until}
    if scope.department:
        params["dept"] = scope.department  # type: ignore[assignment]
    no_jit(session)
    conn = session.connection().execution_options(stream_results=True, max_row_buffer=CHUNK)
    rows = conn.execute(stmt, params).yield_per(CHUNK)
    # The driver's values, no column types: SQLite's text, PostgreSQL's naive datetimes.
    iso = _iso if d == "postgresql" else _iso_text
    for r in rows:
        yield (
            r[0], _sorted(r[1]), _in_order(r[2]), r[3], r[4], r[5], iso(r[6]), iso(r[7]),
            r[8], iso(r[9]), r[10], _sorted(r[11]), r[12], r[13],
        )  # fmt: skip


def _sorted(text: str | None) -> str | None:
    """`"web email web"` → `"email web"` (one value, the common case, as it is)."""
    if text is None or " " not in text:
        return text
    return " ".join(sorted(set(text.split())))


def _in_order(text: str | None) -> str | None:
    """`"15:billing 12:support"` → `"support billing"`: departments by hold id."""
    if text is None:
        return None
    if " " not in text:
        return text.partition(":")[2]
    pairs = (item.split(":", 1) for item in text.split())
    return " ".join(dept for _, dept in sorted((int(i), d) for i, d in pairs))
