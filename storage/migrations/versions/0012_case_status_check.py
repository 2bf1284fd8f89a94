"""case status check: cases.status holds only open, waiting or resolved

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONDITION = "status IN ('open', 'waiting', 'resolved')"


def upgrade() -> None:
    # SQLite cannot add a constraint to a table: batch mode copies the table (with its
    # indexes) into one that has it; PostgreSQL simply alters the table.
    with op.batch_alter_table("cases") as batch:
        batch.create_check_constraint("ck_cases_status", CONDITION)


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_constraint("ck_cases_status", type_="check")
