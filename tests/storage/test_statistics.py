"""The worker keeps PostgreSQL's statistics current for tables that grow in bursts, so a
cached plan made while a table was nearly empty is made again before it costs a scan
of the table a call (`storage.statistics`)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Connection, insert, text

from storage import statistics
from storage.db import Database
from storage.models import CustomerIdentity
from tests.conftest import START
from tests.support.databases import new_customer

pytestmark = pytest.mark.postgresql_only

BURST = 3000
LOOKUP = (
    "PREPARE lookup(varchar, varchar, varchar, varchar) AS"
    " SELECT external_id FROM customer_identities"
    " WHERE source = $1 AND external_id IN ($2, $3, $4)"
)


def _burst(db: Database) -> None:
    """A burst of new customers' handles, their statistics sent to the collector at once
    (a backend otherwise reports them up to a second later)."""
    with db.session() as s:
        customer = new_customer(s, START)
        handles = [
            {"customer_id": customer, "source": "twitter", "external_id": f"a{i}", "handle": "@c"}
            for i in range(BURST)
        ]
        s.execute(insert(CustomerIdentity), handles)
        s.execute(text("SELECT pg_stat_force_next_flush()"))


def _refresh_until_analyzed(db: Database, table: str) -> list[str]:
    """`refresh` once the burst's counts are visible (they reach the statistics
    collector when the writing backend goes idle)."""
    deadline = time.monotonic() + 10
    while True:
        with db.session() as s:
            analyzed = statistics.refresh(s)
        if table in analyzed or time.monotonic() > deadline:
            return analyzed
        time.sleep(0.05)


def _plan(conn: Connection) -> str:
    rows = conn.exec_driver_sql("EXPLAIN EXECUTE lookup('twitter', 'x1', 'x2', 'x3')")
    plan = "\n".join(str(row[0]) for row in rows)
    conn.commit()
    return plan


def _probes_the_index(plan: str) -> bool:
    """Both columns of the look-up are the unique index's condition: nothing is
    read to be filtered away."""
    cond = [line for line in plan.splitlines() if "Index Cond:" in line]
    return any("external_id = ANY" in line for line in cond) and "Filter" not in plan


def test_a_plan_cached_while_the_table_was_small_is_made_again_after_a_burst(
    db: Database,
) -> None:
    """As a pooled connection keeps the look-up it prepared at the start: its generic
    plan, made for a nearly empty table, filters every stored handle after the burst
    until the table is analyzed."""
    with db.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE customer_identities")
        conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        conn.exec_driver_sql(LOOKUP)
        conn.commit()  # the ANALYZE's lock; the prepared statement stays
        assert "rows=1 " in _plan(conn)
        _burst(db)
        stale = _plan(conn)
        assert not _probes_the_index(stale), stale

        assert "customer_identities" in _refresh_until_analyzed(db, "customer_identities")

        plan = _plan(conn)
        assert _probes_the_index(plan), plan


def test_a_table_is_analyzed_again_only_once_it_changed_enough(db: Database) -> None:
    _burst(db)
    assert "customer_identities" in _refresh_until_analyzed(db, "customer_identities")
    with db.session() as s:
        assert "customer_identities" not in statistics.refresh(s)


def test_sqlite_keeps_no_statistics_to_refresh() -> None:
    sqlite = Database("sqlite://")
    with sqlite.session() as s:
        assert statistics.refresh(s) == []
    sqlite.dispose()
