"""The case export the database formats equals, cell for cell, the one formatted in
Python from whole rows (`tests.support.export_reference`), on both databases: ids,
ISO 8601 instants with and without microseconds, seconds, and the per-case lists."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime, timedelta

import pytest

from bot import report
from storage import export
from storage.db import Database
from storage.models import Case, Customer, Hold, Post, Reminder, SlaClock
from storage.summary import Scope
from tests.support import export_reference as reference

pytestmark = pytest.mark.both_db

T0 = datetime(2026, 11, 1, tzinfo=UTC)
SOURCES = ("web", "email", "twitter", "mastodon")
DEPTS = ("support", "billing", "pr")
CLOCKS = ("first_response", "resolution", "ola:billing", "next_response")


def _instant(rng: random.Random) -> datetime:
    micro = 0 if rng.random() < 0.3 else rng.randrange(1_000_000)
    return T0 + timedelta(seconds=rng.randrange(5 * 86_400), microseconds=micro)


def _load(db: Database, seed: int, n: int) -> None:
    rng = random.Random(seed)
    with db.session() as s:
        customer = Customer(name="c", created_at=T0)
        s.add(customer)
        s.flush()
        for i in range(n):
            opened = _instant(rng)
            later = [opened + (_instant(rng) - T0) for _ in range(2)]
            case = Case(
                department=rng.choice(DEPTS),
                customer_id=customer.id or 0,
                source="web",
                status="open",
                owner_id=rng.choice([None, "U0ANA0001"]),
                priority=rng.choice(["low", "normal", "urgent"]),
                answered=rng.choice([None, "replied", "elsewhere"]),
                created_at=opened,
                updated_at=opened,
                first_response_at=later[0] if rng.random() < 0.6 else None,
                resolved_at=later[1] if rng.random() < 0.6 else None,
                root_cause=rng.choice([None, "app-bug"]),
                problem_id=rng.choice([None, None, 3, 12]),
            )
            s.add(case)
            s.flush()
            cid = case.id or 0
            for k in range(rng.choice([0, 1, 1, 2, 3])):
                s.add(Post(source=rng.choice(SOURCES), external_id=f"{i}-{k}", case_id=cid,
                           customer_id=customer.id or 0, text="t", posted_at=opened,
                           received_at=opened))  # fmt: skip
            for _ in range(rng.choice([0, 1, 2, 3])):
                s.add(Hold(case_id=cid, department=rng.choice(DEPTS), arrived="escalated",
                           started_at=opened))  # fmt: skip
            for name in rng.sample(CLOCKS, rng.randrange(len(CLOCKS))):
                clock = SlaClock(case_id=cid, name=name, started_at=opened)
                s.add(clock)
                s.flush()
                for threshold in rng.sample(["warning", "breach"], rng.randrange(3)):
                    s.add(Reminder(clock_id=clock.id or 0, case_id=cid, threshold=threshold,
                                   at=opened))  # fmt: skip


@pytest.mark.parametrize("department", [None, "billing"])
def test_the_export_equals_the_reference_cell_for_cell(db: Database, department: str) -> None:
    _load(db, 11, 120)
    scope = Scope(T0 + timedelta(days=1), T0 + timedelta(days=4, hours=3), department)
    with db.read() as s:
        got = [tuple(r) for r in export.case_rows(s, scope)]
        want = [reference.case_row(r) for r in reference.case_rows(s, scope)]
    assert len(want) > 20
    assert got == want
    assert [type(v) for row in got for v in row] == [type(v) for row in want for v in row]
    for fmt in ("csv", "json"):
        fast, slow = io.StringIO(), io.StringIO()
        report.write(iter(got), export.CASE_COLUMNS, fmt, fast)
        report.write(iter(want), export.CASE_COLUMNS, fmt, slow)
        assert fast.getvalue() == slow.getvalue()
