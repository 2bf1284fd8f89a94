"""merges: cases.status may be merged; merged_into and suggested_merge; dismissed pairs

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types
from storage.rollup.sql import create_triggers, drop_triggers

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString
BEFORE = "status IN ('open', 'waiting', 'resolved')"
AFTER = "status IN ('open', 'waiting', 'resolved', 'merged')"
OPEN_BEFORE = "status != 'resolved'"
OPEN_AFTER = "status IN ('open', 'waiting')"
NO_FIRST_RESPONSE = "first_response_at IS NULL"


def _partial_indexes(open_cases: str) -> None:
    op.create_index(
        "ix_cases_open",
        "cases",
        ["department", "owner_id"],
        sqlite_where=sa.text(open_cases),
        postgresql_where=sa.text(open_cases),
    )
    op.create_index(
        "ix_cases_no_first_response",
        "cases",
        ["created_at", "answered", "department", "id"],
        sqlite_where=sa.text(NO_FIRST_RESPONSE),
        postgresql_where=sa.text(NO_FIRST_RESPONSE),
    )


def _recreate_cases(check: str, open_cases: str, columns: bool) -> None:
    """SQLite changes a constraint by copying the table (batch mode), which drops its
    triggers and may lose the WHERE of partial indexes: both are taken off first and
    put back after, the same way on PostgreSQL (which alters in place)."""
    dialect = op.get_bind().dialect.name
    for statement in drop_triggers(dialect):
        op.execute(statement)
    op.drop_index("ix_cases_open", table_name="cases")
    op.drop_index("ix_cases_no_first_response", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_constraint("ck_cases_status", type_="check")
        batch.create_check_constraint("ck_cases_status", check)
        if columns:
            batch.add_column(sa.Column("merged_into", sa.Integer(), nullable=True))
            batch.add_column(sa.Column("suggested_merge", sa.Integer(), nullable=True))
        else:
            batch.drop_column("suggested_merge")
            batch.drop_column("merged_into")
    _partial_indexes(open_cases)
    for statement in create_triggers(dialect):
        op.execute(statement)


def upgrade() -> None:
    _recreate_cases(AFTER, OPEN_AFTER, columns=True)
    op.create_table(
        "merge_dismissals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("low_id", sa.Integer(), nullable=False),
        sa.Column("high_id", sa.Integer(), nullable=False),
        sa.Column("actor", _TEXT(), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["low_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["high_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("low_id", "high_id", name="uq_merge_dismissal_pair"),
    )


def downgrade() -> None:
    op.drop_table("merge_dismissals")
    # A merged case has no status to go back to: it reads as resolved, where it was.
    op.execute("UPDATE cases SET status = 'resolved' WHERE status = 'merged'")
    _recreate_cases(BEFORE, OPEN_BEFORE, columns=False)
