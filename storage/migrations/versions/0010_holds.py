"""holds: which department had a case, from when until when (the OLA report)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000


def upgrade() -> None:
    op.create_table(
        "holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("arrived", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("started_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("ended_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("held_us", sa.BigInteger(), nullable=True),
        sa.Column("budget_us", sa.BigInteger(), nullable=True),
        sa.Column("settle_at", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_holds_case_id", "holds", ["case_id"], unique=False)
    op.create_index("ix_holds_ended_at", "holds", ["ended_at"], unique=False)
    op.create_index("ix_holds_settle_at", "holds", ["settle_at"], unique=False)
    _backfill()


def _backfill() -> None:
    """Replay the audit log (opened, escalated, resolved, reopened) into holds; the
    sweep settles each ended one with the config (`settle_at`)."""
    conn = op.get_bind()
    holds = sa.table(
        "holds",
        sa.column("case_id"),
        sa.column("department"),
        sa.column("arrived"),
        sa.column("started_at"),
        sa.column("ended_at"),
        sa.column("settle_at"),
    )
    rows = conn.execute(
        sa.text(
            "SELECT e.case_id, e.kind, e.at, e.data, c.department FROM events e"
            " JOIN cases c ON c.id = e.case_id"
            " WHERE e.kind IN ('opened', 'escalated', 'resolved', 'reopened')"
            " ORDER BY e.case_id, e.at, e.id"
        ).execution_options(stream_results=True, yield_per=BATCH)
    )
    out: list[dict[str, object]] = []
    current: dict[str, object] | None = None
    last_case = None
    for case_id, kind, at, data, department in rows:
        if case_id != last_case:
            current, last_case = None, case_id
        info = data if isinstance(data, dict) else json.loads(data or "{}")
        if kind in ("escalated", "resolved") and current is not None:
            moved = kind == "resolved" or info.get("to_department") != info.get("from_department")
            if moved:
                current.update(ended_at=at, settle_at=at)
                current = None
        if kind == "opened":
            where = info.get("department") or department
            current = _hold(out, case_id, where, "opened", at)
        elif kind == "escalated" and current is None and info.get("to_department"):
            if info.get("to_department") != info.get("from_department"):
                current = _hold(out, case_id, info["to_department"], "escalated", at)
        elif kind == "reopened":
            current = _hold(out, case_id, department, "reopened", at)
        if len(out) >= BATCH and current is None:
            conn.execute(holds.insert(), out)
            out = []
    if out:
        conn.execute(holds.insert(), out)


def _hold(
    out: list[dict[str, object]], case_id: int, department: str, arrived: str, at: object
) -> dict[str, object]:
    row: dict[str, object] = {
        "case_id": case_id,
        "department": department,
        "arrived": arrived,
        "started_at": at,
        "ended_at": None,
        "settle_at": None,
    }
    out.append(row)
    return row


def downgrade() -> None:
    op.drop_index("ix_holds_settle_at", table_name="holds")
    op.drop_index("ix_holds_ended_at", table_name="holds")
    op.drop_index("ix_holds_case_id", table_name="holds")
    op.drop_table("holds")
