"""Fold stale cases back into the rollup: for each claimed case, take its stored facts'
share out of the daily sums, replace the facts with live ones, and add their share back,
in one transaction, so the sums always equal the facts they are made of."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

from storage.rollup.sql import (
    CASE_FACT_COLUMNS,
    HOLD_FACT_COLUMNS,
    live_case_facts,
    live_hold_facts,
)

BATCH = 1000
"""Cases per transaction: a writer that changes a case being folded waits for it."""
LOCK_KEY = 0x5E11_0011
"""PostgreSQL advisory lock: one refresh at a time (a second worker skips its turn)."""
CLAIMED = "(SELECT case_id FROM summary_stale WHERE claimed)"

_UPSERTS: tuple[tuple[str, str, str, str, str], ...] = (
    # (table, key columns, facts table, facts' key expressions, summed columns)
    (
        "summary_daily",
        "day, department",
        "case_facts",
        "created_day, department",
        "new:count(*), not_needed:sum(CASE WHEN answered = 'not_needed' THEN 1 ELSE 0 END),"
        " elsewhere:sum(CASE WHEN answered = 'elsewhere' THEN 1 ELSE 0 END),"
        " unanswered:sum(CASE WHEN answered = 'unanswered' THEN 1 ELSE 0 END),"
        " fr_met:sum(fr_met), fr_decided:sum(fr_decided), res_met:sum(res_met),"
        " res_decided:sum(res_decided)",
    ),
    ("summary_hist", "metric, day, department, bucket", "case_facts",
     "'fr', created_day, department, fr_bucket|fr_us IS NOT NULL", "n:count(*)"),
    ("summary_hist", "metric, day, department, bucket", "case_facts",
     "'res', resolved_day, department, res_bucket|res_us IS NOT NULL", "n:count(*)"),
    ("summary_causes", "day, department, root_cause", "case_facts",
     "resolved_day, department, root_cause|root_cause IS NOT NULL", "n:count(*)"),
    ("summary_hist", "metric, day, department, bucket", "hold_facts",
     "'held', ended_day, department, held_bucket", "n:count(*)"),
    ("summary_ola_daily", "day, department", "hold_facts", "ended_day, department",
     "judged:sum(judged), met:sum(met)"),
)  # fmt: skip


def _upsert(table: str, keys: str, facts: str, grouping: str, sums: str, sign: int) -> str:
    group, _, where = grouping.partition("|")
    pairs = [s.strip().split(":", 1) for s in sums.split(",")]
    names = [n for n, _ in pairs]
    minus = "-" if sign < 0 else ""
    values = ", ".join(f"{minus}{expr}" for _, expr in pairs)
    updates = ", ".join(f"{n} = {table}.{n} + excluded.{n}" for n in names)
    condition = f"case_id IN {CLAIMED}" + (f" AND {where}" if where else "")
    group_by = ", ".join(g for g in (p.strip() for p in group.split(",")) if not g.startswith("'"))
    return (
        f"INSERT INTO {table} ({keys}, {', '.join(names)}) SELECT {group}, {values}"
        f" FROM {facts} WHERE {condition} GROUP BY {group_by}"
        f" ON CONFLICT ({keys}) DO UPDATE SET {updates}"
    )


def refresh(session: Session, *, limit: int = BATCH) -> int:
    """Fold up to `limit` stale cases into the rollup; returns how many (0 when none, or
    when another refresh holds the lock on PostgreSQL). Commit is the caller's."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        got = session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
        if not got.scalar_one():
            return 0
    # PostgreSQL: marks a transaction is still writing are left for the next round, so
    # the refresh never waits for a writer (a writer may wait for the refresh: no cycle).
    skip = " FOR UPDATE SKIP LOCKED" if dialect == "postgresql" else ""
    claimed = session.execute(
        text(
            "UPDATE summary_stale SET claimed = TRUE WHERE case_id IN"
            f" (SELECT case_id FROM summary_stale ORDER BY case_id LIMIT :n{skip})"
        ),
        {"n": limit},
    ).rowcount
    if not claimed:
        return 0
    for spec in _UPSERTS:
        session.execute(text(_upsert(*spec, sign=-1)))
    session.execute(text(f"DELETE FROM case_facts WHERE case_id IN {CLAIMED}"))
    session.execute(text(f"DELETE FROM hold_facts WHERE case_id IN {CLAIMED}"))
    session.execute(
        text(
            f"INSERT INTO case_facts ({CASE_FACT_COLUMNS})"
            f" {live_case_facts(dialect, f'c.id IN {CLAIMED}')}"
        )
    )
    session.execute(
        text(
            f"INSERT INTO hold_facts ({HOLD_FACT_COLUMNS})"
            f" {live_hold_facts(dialect, f'h.case_id IN {CLAIMED}')}"
        )
    )
    for spec in _UPSERTS:
        session.execute(text(_upsert(*spec, sign=1)))
    session.execute(text("DELETE FROM summary_stale WHERE claimed"))
    return int(claimed)


def stale_count(session: Session) -> int:
    return int(session.execute(text("SELECT count(*) FROM summary_stale")).scalar_one())
