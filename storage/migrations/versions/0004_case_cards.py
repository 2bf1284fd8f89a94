"""case cards per department stint

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("stint", sa.Integer(), nullable=False),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("ts", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "stint", name="uq_case_card_stint"),
    )
    with op.batch_alter_table("case_cards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_cards_case_id"), ["case_id"], unique=False)
    # Every case gets its current card: the one it shows now, or one still to be posted.
    op.execute(
        "INSERT INTO case_cards (case_id, stint, department, channel, ts)"
        " SELECT id, escalations, department, card_channel, card_ts FROM cases"
    )


def downgrade() -> None:
    with op.batch_alter_table("case_cards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_cards_case_id"))
    op.drop_table("case_cards")
