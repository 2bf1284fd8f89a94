"""The database's median and p90 are the definitions `bot.summary` documents: the
middle value (the mean of the two middle ones) and the nearest rank ⌈0.9·n⌉, exact to
the microsecond, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import random
import statistics
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.summary import nearest_rank
from storage import summary as store
from storage.db import Database
from storage.models import Case, Customer

pytestmark = pytest.mark.both_db

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _load(db: Database, durations_us: list[int], department: str = "support") -> None:
    with db.session() as s:
        customer = s.exec(select(Customer)).first()
        if customer is None:
            customer = Customer(name="c", created_at=T0)
            s.add(customer)
            s.flush()
        for i, us in enumerate(durations_us):
            opened = T0 + timedelta(seconds=i, microseconds=i * 7919 % 1_000_000)
            s.add(
                Case(
                    department=department,
                    customer_id=customer.id or 0,
                    source="web",
                    status="resolved",
                    created_at=opened,
                    updated_at=opened,
                    resolved_at=opened + timedelta(microseconds=us),
                )
            )


@pytest.mark.parametrize("n", [1, 2, 3, 10, 11, 20, 99, 100, 101, 257])
def test_median_and_nearest_rank_p90_match_their_definitions(db: Database, n: int) -> None:
    rng = random.Random(n)
    durations = [rng.choice([1, 1_000_000, rng.randrange(10**10)]) for _ in range(n)]
    _load(db, durations)
    scope = store.Scope(T0, T0 + timedelta(days=400), None)
    with db.read() as s:
        got = store.resolution_times(s, scope)
    assert got.count == n
    assert got.p90_us == nearest_rank(durations, 90)
    assert got.median_us == statistics.median(durations)


def test_grouped_quantiles_per_department(db: Database) -> None:
    _load(db, [5, 1, 3], "support")
    _load(db, [10, 40], "billing")
    scope = store.Scope(T0, T0 + timedelta(days=1), None)
    with db.read() as s:
        values = select(Case.department, store.micros(s, Case.created_at, Case.resolved_at))
        got = store.grouped_quantiles(s, values.where(*store.resolved_in(scope)))
    assert got == {
        "support": store.Quantiles(3, 3.0, 5),
        "billing": store.Quantiles(2, 25.0, 40),
    }


def test_an_empty_window_has_no_times(db: Database) -> None:
    with db.read() as s:
        got = store.resolution_times(s, store.Scope(T0, T0 + timedelta(days=1), None))
    assert got == store.Quantiles(0, None, None)
