"""outbox: the (kind, status) index gains case_id, for "which of these cases' cards wait"

With only (kind, status), SQLite answered `cases_with_pending` (detection asks it for
every batch of cases it links) through that index, reading every pending card, and
under a burst those are thousands (the cards wait for Slack's one post a second per
channel): 12 % of the detection turn in the one writer. With case_id in it, a look-up
is one probe per case, and the problem card's "does one still wait" keeps its prefix.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_outbox_kind_status", table_name="outbox")
    op.create_index("ix_outbox_kind_status_case", "outbox", ["kind", "status", "case_id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_kind_status_case", table_name="outbox")
    op.create_index("ix_outbox_kind_status", "outbox", ["kind", "status"])
