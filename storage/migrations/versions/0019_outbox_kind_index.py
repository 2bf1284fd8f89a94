"""outbox: an index on (kind, status), for "does a row of this kind still wait"

Problem detection asks it for each problem it links cases to (`bot.problems.refresh`);
through `ix_outbox_due` it read every pending row, which under a burst are thousands
of new cards (2.5 ms a look-up on SQLite, inside the one writer).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_outbox_kind_status", "outbox", ["kind", "status"])


def downgrade() -> None:
    op.drop_index("ix_outbox_kind_status", table_name="outbox")
