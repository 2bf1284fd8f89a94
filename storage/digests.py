"""Digest slots: claimed with a unique row, so one worker of many sends each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from storage.worker_tables import DigestRun


def last_slot(session: Session, *, name: str) -> datetime | None:
    stmt = select(func.max(DigestRun.slot)).where(DigestRun.name == name)
    found: datetime | None = session.exec(stmt).one()
    return found


def claim(session: Session, *, name: str, slot: datetime, late: bool, now: datetime) -> bool:
    """Insert the slot's row unless it exists; True for the one caller that inserted it.
    A concurrent claimer on PostgreSQL waits for the winner's commit, then gets False."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(DigestRun)
        .values(name=name, slot=slot, late=late, claimed_at=now)
        .on_conflict_do_nothing(index_elements=["name", "slot"])
        .returning(DigestRun.id)
    )
    # RETURNING, not rowcount: drivers report -1 for a conflict that inserted nothing.
    return session.execute(stmt).first() is not None
