"""summary rollup: per-case facts, per-day sums, stale marks by trigger, partial indexes

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types
from storage.rollup.sql import create_triggers, drop_triggers

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString


def _day_key(name: str, *extra: sa.Column) -> None:  # type: ignore[type-arg]
    op.create_table(
        name,
        sa.Column("day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("department", TEXT(), nullable=False),
        *extra,
        sa.PrimaryKeyConstraint("day", "department"),
    )


def _count(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Integer(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "summary_stale",
        sa.Column("case_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("claimed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_table(
        "case_facts",
        sa.Column("case_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("department", TEXT(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("created_day", sa.Integer(), nullable=False),
        sa.Column("resolved_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("resolved_day", sa.Integer(), nullable=True),
        sa.Column("answered", TEXT(), nullable=True),
        *(_count(c) for c in ("fr_met", "fr_decided", "res_met", "res_decided")),
        sa.Column("fr_us", sa.BigInteger(), nullable=True),
        sa.Column("fr_bucket", sa.Integer(), nullable=True),
        sa.Column("res_us", sa.BigInteger(), nullable=True),
        sa.Column("res_bucket", sa.Integer(), nullable=True),
        sa.Column("root_cause", TEXT(), nullable=True),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index(
        "ix_case_facts_fr", "case_facts", ["fr_bucket", "created_at", "department", "fr_us"]
    )
    op.create_index(
        "ix_case_facts_res", "case_facts", ["res_bucket", "resolved_at", "department", "res_us"]
    )
    op.create_index("ix_case_facts_created_at", "case_facts", ["created_at"])
    op.create_index("ix_case_facts_resolved_at", "case_facts", ["resolved_at"])
    op.create_table(
        "hold_facts",
        sa.Column("hold_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("department", TEXT(), nullable=False),
        sa.Column("ended_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("ended_day", sa.Integer(), nullable=False),
        sa.Column("held_us", sa.BigInteger(), nullable=False),
        *(_count(c) for c in ("held_bucket", "judged", "met")),
        sa.PrimaryKeyConstraint("hold_id"),
    )
    op.create_index("ix_hold_facts_case_id", "hold_facts", ["case_id"])
    op.create_index("ix_hold_facts_ended_at", "hold_facts", ["ended_at"])
    op.create_index(
        "ix_hold_facts_held", "hold_facts", ["held_bucket", "ended_at", "department", "held_us"]
    )
    daily = ("new", "not_needed", "elsewhere", "unanswered")
    daily += ("fr_met", "fr_decided", "res_met", "res_decided")
    _day_key("summary_daily", *(_count(c) for c in daily))
    _day_key("summary_ola_daily", _count("judged"), _count("met"))
    op.create_table(
        "summary_hist",
        sa.Column("metric", TEXT(), nullable=False),
        sa.Column("day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("department", TEXT(), nullable=False),
        sa.Column("bucket", sa.Integer(), autoincrement=False, nullable=False),
        _count("n"),
        sa.PrimaryKeyConstraint("metric", "day", "department", "bucket"),
    )
    op.create_table(
        "summary_causes",
        sa.Column("day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("department", TEXT(), nullable=False),
        sa.Column("root_cause", TEXT(), nullable=False),
        _count("n"),
        sa.PrimaryKeyConstraint("day", "department", "root_cause"),
    )
    op.create_index(
        "ix_cases_no_first_response",
        "cases",
        ["created_at", "answered", "department", "id"],
        sqlite_where=sa.text("first_response_at IS NULL"),
        postgresql_where=sa.text("first_response_at IS NULL"),
    )
    op.create_index(
        "ix_sla_clocks_running",
        "sla_clocks",
        ["name", "due_at", "case_id"],
        sqlite_where=sa.text("stopped_at IS NULL"),
        postgresql_where=sa.text("stopped_at IS NULL"),
    )
    # A running clock's case is checked in the index, not the table (index-only).
    op.create_index("ix_cases_id_created_at", "cases", ["id", "created_at", "department"])
    op.drop_index("ix_reminders_threshold_at", table_name="reminders")
    op.create_index("ix_reminders_threshold_at", "reminders", ["threshold", "at", "case_id"])
    dialect = op.get_bind().dialect.name
    for statement in create_triggers(dialect):
        op.execute(statement)
    # Every existing case is stale until the worker's refresh has folded it in; until
    # then the summary counts it live (exact, only slower).
    op.execute("INSERT INTO summary_stale (case_id, claimed) SELECT id, FALSE FROM cases")


def downgrade() -> None:
    for statement in drop_triggers(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_index("ix_reminders_threshold_at", table_name="reminders")
    op.create_index("ix_reminders_threshold_at", "reminders", ["threshold", "at"])
    op.drop_index("ix_sla_clocks_running", table_name="sla_clocks")
    op.drop_index("ix_cases_no_first_response", table_name="cases")
    op.drop_index("ix_cases_id_created_at", table_name="cases")
    for table in ("summary_causes", "summary_hist", "summary_ola_daily", "summary_daily"):
        op.drop_table(table)
    op.drop_table("hold_facts")
    op.drop_table("case_facts")
    op.drop_table("summary_stale")
