"""outbox: a partial index of the pending rows by (case_id, id), for "does an older row
of this case still wait"

The worker's claim (`storage.outbox.claim_due`) asks it of every due row. On
PostgreSQL, during a burst, the table grows from a few rows to thousands faster than
autovacuum analyzes it, and with the stale statistics the planner answered each ask
with a bitmap AND of `ix_outbox_due` (every pending row) and `ix_outbox_case_id`: 0.4 ms
a row, 0.55-1.7 s a claim with 4,000 cards waiting for Slack's pace, the PostgreSQL
server's busiest statement by far (`bench.ingest`). With this index it is one probe:
338 ms -> 5 ms for that claim, reproduced on an unanalyzed table.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.create_index(
        "ix_outbox_case_pending",
        "outbox",
        ["case_id", "id"],
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_case_pending", table_name="outbox")
