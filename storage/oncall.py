"""On-call overrides and announced handoffs."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from storage.worker_tables import Handoff, OncallOverride


def overrides(session: Session, *, department: str, until_after: datetime) -> list[OncallOverride]:
    """Overrides of the department that have not ended by `until_after`, oldest first."""
    return list(
        session.exec(
            select(OncallOverride)
            .where(
                OncallOverride.department == department,
                col(OncallOverride.ends_at) > until_after,
            )
            .order_by(col(OncallOverride.starts_at), col(OncallOverride.id))
        )
    )


def add_override(
    session: Session,
    *,
    department: str,
    user_id: str,
    starts_at: datetime,
    ends_at: datetime,
    created_by: str,
) -> OncallOverride:
    row = OncallOverride(
        department=department,
        user_id=user_id,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=created_by,
    )
    session.add(row)
    session.flush()
    return row


def announced(session: Session, *, department: str, shift_start: datetime) -> bool:
    return (
        session.exec(
            select(Handoff.id).where(
                Handoff.department == department, Handoff.shift_start == shift_start
            )
        ).first()
        is not None
    )
