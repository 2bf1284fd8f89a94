"""The detection queue's queries: cases waiting for problem detection, oldest first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, func, select
from sqlmodel import Session

from storage import rows
from storage.models import Post
from storage.problem_tables import QueuedDetection

_QUEUE = QueuedDetection.__table__  # type: ignore[attr-defined]
_POSTS = Post.__table__  # type: ignore[attr-defined]
_TAKE = (
    select(_QUEUE.c.case_id, _QUEUE.c.at, _POSTS.c.text)
    .join_from(_QUEUE, _POSTS, _POSTS.c.id == _QUEUE.c.post_id)
    .order_by(_QUEUE.c.case_id)
    .limit(bindparam("limit"))
)
_DROP = delete(_QUEUE).where(_QUEUE.c.case_id.in_(bindparam("ids", expanding=True)))


@dataclass(frozen=True)
class Queued:
    case_id: int
    at: datetime
    text: str
    """The post that opened the case: what it is compared by."""


def add(session: Session, *, case_id: int, post_id: int, at: datetime) -> None:
    """Queued with the case, in its transaction (batched with the intake's other rows)."""
    rows.add(session, QueuedDetection, case_id=case_id, post_id=post_id, at=at)


def take(session: Session, *, limit: int) -> list[Queued]:
    return [Queued(c, at, text) for c, at, text in session.execute(_TAKE, {"limit": limit})]


def drop(session: Session, *, case_ids: Sequence[int]) -> None:
    if case_ids:
        session.execute(_DROP, {"ids": list(case_ids)})


@dataclass(frozen=True)
class Waiting:
    """How many cases wait for detection, and since when the oldest (`/metrics`,
    `/healthz`: a worker that is down or behind shows here)."""

    depth: int
    oldest: datetime | None


def waiting(session: Session) -> Waiting:
    depth, oldest = session.execute(select(func.count(), func.min(_QUEUE.c.at))).one()
    return Waiting(depth, oldest)
