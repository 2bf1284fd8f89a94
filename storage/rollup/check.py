"""Every figure the rollup serves, both ways: from the reference queries and from the
rollup, as comparable values. The tests compare them on random data, the benchmark
on a million cases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from storage import holds
from storage import summary as ref
from storage.rollup import read
from storage.summary import Scope

CAUSES = 5


def reference(
    s: Session, scope: Scope, now: datetime, tags: list[str], *, causes: int = CAUSES
) -> dict[str, Any]:
    volume, fr = ref.opened(s, scope, now)
    return {
        "volume": volume,
        "fr": fr,
        "res": ref.resolution_compliance(s, scope, now),
        "fr_times": ref.first_response_times(s, scope),
        "res_times": ref.resolution_times(s, scope),
        "resolved": ref.resolved_count(s, scope),
        "causes": ref.root_causes(s, scope, limit=causes),
        "cause_counts": ref.root_cause_counts(s, scope, tags),
        "holds": holds.by_department(
            s, since=scope.since, until=scope.until, department=scope.department, now=now
        ),
    }


def rolled(
    s: Session, scope: Scope, now: datetime, tags: list[str], *, causes: int = CAUSES
) -> dict[str, Any]:
    volume, fr, res = read.created(s, scope, now)
    times = read.resolution_times(s, scope)
    return {
        "volume": volume,
        "fr": fr,
        "res": res,
        "fr_times": read.first_response_times(s, scope),
        "res_times": times,
        "resolved": times.count,
        "causes": read.root_causes(s, scope, limit=causes),
        "cause_counts": read.root_cause_counts(s, scope, tags),
        "holds": read.holds_by_department(
            s, since=scope.since, until=scope.until, department=scope.department, now=now
        ),
    }
