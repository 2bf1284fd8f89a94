"""What the outbox still owes, read when `/metrics` or `/healthz` is asked: every process
reports the database's truth, however many workers run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from storage.models import Outbox


@dataclass(frozen=True)
class Pending:
    """Outbox rows of one kind not yet delivered (nor given up on)."""

    kind: str
    depth: int
    oldest: datetime


def pending(session: Session) -> list[Pending]:
    created = func.min(Outbox.created_at).label("oldest")
    stmt = (
        select(Outbox.kind, func.count(), created)
        .where(Outbox.status == "pending")
        .group_by(Outbox.kind)
        .order_by(Outbox.kind)
    )
    return [Pending(kind, depth, oldest) for kind, depth, oldest in session.exec(stmt)]
