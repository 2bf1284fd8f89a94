"""status page links, stored as token hashes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "status_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash", name="uq_status_link_token"),
    )
    with op.batch_alter_table("status_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_status_links_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("status_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_links_case_id"))
    op.drop_table("status_links")
