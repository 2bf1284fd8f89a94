"""The worker's claim of due outbox rows stays one index probe a row however many
cards wait, even before the database has statistics about the table (a burst grows it
from a few rows to thousands faster than PostgreSQL's autovacuum analyzes it)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, insert

from storage import outbox
from storage.db import Database
from storage.models import Case, Outbox
from tests.conftest import START
from tests.support.databases import new_customer

pytestmark = pytest.mark.both_db

WAITING = 2000


def _waiting_cards(db: Database) -> None:
    """A burst's cards: one pending row per case, three in four due."""
    with db.session() as s:
        customer = new_customer(s, START)
        cases = [
            {
                "department": "support",
                "customer_id": customer,
                "source": "web",
                "created_at": START,
                "updated_at": START,
                "tags": [],
                "pauses": [],
            }
            for _ in range(WAITING)
        ]
        ids = s.execute(insert(Case).returning(Case.id), cases).scalars().all()
        rows = [
            {
                "key": f"card:{cid}",
                "kind": "card",
                "case_id": cid,
                "payload": {},
                "result": {},
                "created_at": START,
                "next_attempt_at": START if cid % 4 else START.replace(year=2027),
            }
            for cid in ids
        ]
        s.execute(insert(Outbox), rows)


def test_a_claim_asks_each_due_row_for_older_pending_rows_of_its_case_through_one_index(
    db: Database,
) -> None:
    _waiting_cards(db)
    seen: list[tuple[str, Any]] = []

    def capture(_c: object, _cur: object, statement: str, params: Any, *_: object) -> None:
        if "FROM outbox" in statement and "outbox_1" in statement:
            seen.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        with db.session() as s:
            assert len(outbox.claim_due(s, now=START, limit=50)) == 50
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    [(statement, params)] = seen
    explain = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN "
    with db.engine.connect() as conn:
        plan = "\n".join(str(row[-1]) for row in conn.exec_driver_sql(explain + statement, params))
    assert "ix_outbox_case_pending" in plan, plan
