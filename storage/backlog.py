"""What the outbox still owes, and the cases still to be compared for a problem, read
when `/metrics` or `/healthz` is asked: every process reports the database's truth,
however many workers run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from storage.models import Outbox
from storage.problem_tables import QueuedDetection


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


@dataclass(frozen=True)
class Detections:
    """The detection queue: cases opened and not yet compared for a problem."""

    depth: int
    oldest: datetime | None


def detections(session: Session) -> Detections:
    depth, oldest = session.exec(select(func.count(), func.min(QueuedDetection.at))).one()
    return Detections(depth, oldest)
