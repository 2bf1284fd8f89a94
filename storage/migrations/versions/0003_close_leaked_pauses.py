"""close pauses that outlived a resolve

A resolve now ends the wait on the customer. Earlier versions left the pause open, so
a case resolved while waiting and then reopened had its clocks held for good (and a
second wait stacked another open pause on it, which the clocks refuse). Each such
pause is closed when the case was resolved.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

import storage.types


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

cases = sa.table(
    'cases',
    sa.column('id', sa.Integer()),
    sa.column('status', sa.String()),
    sa.column('pauses', sa.JSON()),
)
events = sa.table(
    'events',
    sa.column('case_id', sa.Integer()),
    sa.column('kind', sa.String()),
    sa.column('at', storage.types.UTCDateTime()),
)


def upgrade() -> None:
    conn = op.get_bind()
    for case_id, status, pauses in conn.execute(
        sa.select(cases.c.id, cases.c.status, cases.c.pauses)
    ).all():
        fixed = []
        for i, (start, end) in enumerate(pauses or []):
            waits_now = i == len(pauses) - 1 and status == 'waiting'
            if end is None and not waits_now:
                end = _resolved_after(conn, case_id, datetime.fromisoformat(start))
            fixed.append([start, end])
        if fixed != (pauses or []):
            conn.execute(sa.update(cases).where(cases.c.id == case_id).values(pauses=fixed))


def _resolved_after(conn: sa.Connection, case_id: int, start: datetime) -> str | None:
    at = conn.execute(
        sa.select(sa.func.min(events.c.at)).where(
            events.c.case_id == case_id, events.c.kind == 'resolved', events.c.at >= start
        )
    ).scalar()
    return at.isoformat() if at is not None else None


def downgrade() -> None:
    """Nothing to undo: the closed pauses are what the events say happened."""
