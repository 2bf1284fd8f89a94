"""problems: many cases, one root cause; the window's case terms; replies to all

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "problems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", _TEXT(), nullable=False),
        sa.Column("department", _TEXT(), nullable=False),
        sa.Column("owner_id", _TEXT(), nullable=True),
        sa.Column("root_cause", _TEXT(), nullable=True),
        sa.Column("note", _TEXT(), nullable=False),
        sa.Column("card_channel", _TEXT(), nullable=True),
        sa.Column("card_ts", _TEXT(), nullable=True),
        sa.Column("card_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("first_seen_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("claimed_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("answered_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("resolved_at", storage.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_problems_status_last_seen", "problems", ["status", "last_seen_at"])
    op.create_table(
        "case_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("term", _TEXT(), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_case_terms_lookup", "case_terms", ["term", "at", "case_id", "size"])
    op.create_index(op.f("ix_case_terms_case_id"), "case_terms", ["case_id"])
    op.create_index(op.f("ix_case_terms_at"), "case_terms", ["at"])
    op.create_table(
        "problem_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("author_id", _TEXT(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("digest", _TEXT(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["problem_id"], ["problems.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("problem_id", "digest", name="uq_problem_reply_digest"),
    )
    op.create_index(op.f("ix_problem_replies_problem_id"), "problem_replies", ["problem_id"])
    op.add_column("cases", sa.Column("problem_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_cases_problem_id"), "cases", ["problem_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_cases_problem_id"), table_name="cases")
    # Plain ALTER TABLE (SQLite has it): a batch rebuild of `cases` would trip the
    # foreign keys that point at it.
    op.drop_column("cases", "problem_id")
    op.drop_table("problem_replies")
    op.drop_table("case_terms")
    op.drop_table("problems")
