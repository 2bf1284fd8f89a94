"""summary in SQL: deadlines on clocks, indexes on the windows summaries read

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("sla_clocks", sa.Column("due_at", storage.types.UTCDateTime(), nullable=True))
    op.create_index("ix_cases_created_at", "cases", ["created_at"], unique=False)
    op.create_index("ix_cases_resolved_at", "cases", ["resolved_at"], unique=False)
    op.create_index("ix_reminders_threshold_at", "reminders", ["threshold", "at"], unique=False)
    op.create_index(
        "ix_cases_open",
        "cases",
        ["department", "owner_id"],
        unique=False,
        sqlite_where=sa.text("status != 'resolved'"),
        postgresql_where=sa.text("status != 'resolved'"),
    )
    # Every clock's deadline is worked out by the sweep, which has the config: ask it to
    # look at each clock once (running ones keep their turn; the rest come after them).
    op.execute(
        "UPDATE sla_clocks SET next_due_at = COALESCE(next_due_at, stopped_at, started_at)"
    )


def downgrade() -> None:
    op.drop_index("ix_cases_open", table_name="cases")
    op.drop_index("ix_reminders_threshold_at", table_name="reminders")
    op.drop_index("ix_cases_resolved_at", table_name="cases")
    op.drop_index("ix_cases_created_at", table_name="cases")
    op.drop_column("sla_clocks", "due_at")
