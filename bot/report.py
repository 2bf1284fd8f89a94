"""`casebot report --since 30d [--dept X] --format csv|json|table [--cases]`.

Without `--cases`: the summary, one row per department plus an `all` row (or just the
department asked for). With `--cases`: one row per case opened in the period, streamed
as it is read. CSV and JSON carry the same columns with the same values: datetimes in
ISO 8601 (UTC), durations in seconds as numbers, lists as space-separated text; an
empty CSV cell is a JSON `null`.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO, Any

from tqdm import tqdm

from bot import periods
from bot.deps import Deps
from bot.events import Refused
from bot.periods import Period
from bot.summary import Summary, check_department, compute
from config.errors import ConfigError
from storage import export
from storage.summary import Scope

FORMATS = ("csv", "json", "table")
COLUMNS = (
    "department",
    "since",
    "until",
    "new",
    "open",
    "resolved",
    "breached",
    "first_response_met_pct",
    "resolution_met_pct",
    "first_response_median_s",
    "first_response_p90_s",
    "resolution_median_s",
    "resolution_p90_s",
    "answered_elsewhere",
    "no_reply_needed",
    "unanswered",
    "held_count",
    "held_median_s",
    "held_p90_s",
    "ola_met_pct",
    "top_root_causes",
    "problems",
)
CASE_COLUMNS = export.CASE_COLUMNS

Row = dict[str, Any]


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _seconds(value: Any) -> int | None:
    """Summary times are whole seconds already (see `bot.summary`)."""
    return None if value is None else int(value.total_seconds())


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def summary_row(summary: Summary) -> Row:
    """The OLA columns are the row's own department's holds (empty on the `all` row)."""
    held = next((o for o in summary.ola if o.department == summary.department), None)
    return {
        "department": summary.department or "all",
        "since": _iso(summary.since),
        "until": _iso(summary.until),
        "new": summary.new,
        "open": summary.open,
        "resolved": summary.resolved,
        "breached": summary.breached,
        "first_response_met_pct": _pct(summary.first_response_met),
        "resolution_met_pct": _pct(summary.resolution_met),
        "first_response_median_s": _seconds(summary.first_response_median),
        "first_response_p90_s": _seconds(summary.first_response_p90),
        "resolution_median_s": _seconds(summary.resolution_median),
        "resolution_p90_s": _seconds(summary.resolution_p90),
        "answered_elsewhere": summary.answered_elsewhere,
        "no_reply_needed": summary.no_reply_needed,
        "unanswered": summary.unanswered,
        "held_count": held.holds if held else None,
        "held_median_s": _seconds(held.median) if held else None,
        "held_p90_s": _seconds(held.p90) if held else None,
        "ola_met_pct": _pct(held.met) if held else None,
        "top_root_causes": " ".join(f"{t}:{n}" for t, n, _ in summary.top_causes) or None,
        "problems": " ".join(
            f"{p.ref}:{p.size}" + (f":{p.root_cause}" if p.root_cause else "")
            for p in summary.problems
        )
        or None,
    }


def period_of(since: str, now: datetime) -> Period:
    try:
        return periods.parse(since, now, durations=True)
    except ValueError as exc:
        raise ConfigError(f"--since: {exc}") from None


def _department(deps: Deps, department: str | None) -> None:
    try:
        check_department(deps.config, department)
    except Refused as exc:
        raise ConfigError(f"--dept: {exc.message}") from None


def build(deps: Deps, *, since: str, now: datetime, department: str | None = None) -> list[Summary]:
    """The summaries: all departments and each one, or only `department`."""
    period = period_of(since, now)
    _department(deps, department)
    wanted = [department] if department else [None, *deps.config.departments]
    with deps.db.read() as session:
        return [
            compute(session, period=period, department=d, config=deps.config, now=now)
            for d in wanted
        ]


def case_rows(
    deps: Deps, *, since: str, now: datetime, department: str | None = None, progress: bool
) -> Iterator[tuple[Any, ...]]:
    """Every case opened in the period, one row each, read as it is written out."""
    period = period_of(since, now)
    _department(deps, department)
    scope = Scope(period.since, period.until, department)
    with deps.db.read() as session:
        total = export.count(session, scope) if progress else None
        rows = export.case_rows(session, scope)
        bar = tqdm(rows, total=total, unit=" cases", file=sys.stderr, disable=not progress)
        yield from bar


def write(
    rows: Iterable[Row | tuple[Any, ...]], columns: tuple[str, ...], fmt: str, out: IO[str]
) -> int:
    """Write rows (dicts, or tuples in column order) as they come; returns how many.
    Memory does not grow with the count."""
    values = (tuple(r.values()) if isinstance(r, dict) else r for r in rows)
    if fmt == "json":
        return _json(values, columns, out)
    if fmt == "table":
        return _table(values, columns, out)
    writerow = csv.writer(out, lineterminator="\n").writerow
    writerow(columns)
    n = 0
    for row in values:
        writerow(row)
        n += 1
    return n


def _json(rows: Iterable[tuple[Any, ...]], columns: tuple[str, ...], out: IO[str]) -> int:
    n = 0
    out.write("[")
    for row in rows:
        out.write(",\n" if n else "\n")
        out.write(json.dumps(dict(zip(columns, row, strict=True)), ensure_ascii=False))
        n += 1
    out.write("\n]\n" if n else "]\n")
    return n


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _table(rows: Iterable[tuple[Any, ...]], columns: tuple[str, ...], out: IO[str]) -> int:
    """Aligned text for reading in a terminal; columns as wide as their header or 12."""
    widths = [max(len(c), 12) for c in columns]
    out.write("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip() + "\n")
    n = 0
    for row in rows:
        cells = (_cell(v).ljust(w) for v, w in zip(row, widths, strict=True))
        out.write("  ".join(cells).rstrip() + "\n")
        n += 1
    return n


def render(summaries: list[Summary], fmt: str) -> str:
    """The summary rows as one text (tests and small outputs)."""
    out = io.StringIO()
    write((summary_row(s) for s in summaries), COLUMNS, fmt, out)
    return out.getvalue()
