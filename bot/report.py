"""`python -m bot report --since 7d --format csv|json`: the summary, for spreadsheets.

One row per department plus an `all` row; JSON carries the same numbers with the
backlog and root causes as lists.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from bot.deps import Deps
from bot.summary import Summary, compute
from config.common import parse_duration
from config.errors import ConfigError

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
    "top_root_causes",
)


def _seconds(value: timedelta | None) -> int | None:
    """The summary's times are whole seconds already (see `bot.summary`)."""
    return None if value is None else int(value.total_seconds())


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _row(summary: Summary) -> dict[str, Any]:
    return {
        "department": summary.department or "all",
        "since": summary.since.isoformat(),
        "until": summary.until.isoformat(),
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
        "top_root_causes": " ".join(f"{t}:{n}" for t, n, _ in summary.top_causes),
    }


def build(deps: Deps, *, since: str, now: datetime) -> list[Summary]:
    try:
        span = parse_duration(since)
    except ValueError as exc:
        raise ConfigError(f"--since: {exc}") from None
    with deps.db.session() as session:
        return [
            compute(
                session,
                period=since,
                since=now - span,
                until=now,
                department=department,
                config=deps.config,
                now=now,
            )
            for department in [None, *deps.config.departments]
        ]


def render(summaries: list[Summary], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(
            [{**_row(s), "detail": asdict(s)} for s in summaries], default=str, indent=2
        )
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for summary in summaries:
        writer.writerow(_row(summary))
    return out.getvalue()
