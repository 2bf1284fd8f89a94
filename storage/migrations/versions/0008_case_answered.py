"""how the customer got their first response

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE (SQLite has it for both directions): a batch rebuild of `cases`
    # would trip the foreign keys that point at it.
    op.add_column("cases", sa.Column("answered", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    # Earlier versions only knew replies: a case with a first response was replied to,
    # a resolved one without any was closed unanswered.
    op.execute("UPDATE cases SET answered = 'replied' WHERE first_response_at IS NOT NULL")
    op.execute(
        "UPDATE cases SET answered = 'unanswered'"
        " WHERE first_response_at IS NULL AND status = 'resolved'"
    )


def downgrade() -> None:
    op.drop_column("cases", "answered")
