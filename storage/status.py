"""What the customer's status page reads: links by token hash, and the replies they got."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import Reply, StatusLink


def add_link(session: Session, *, case_id: int, token_hash: str, now: datetime) -> None:
    session.add(StatusLink(case_id=case_id, token_hash=token_hash, created_at=now))


def link_by_hash(session: Session, *, token_hash: str) -> tuple[int, str] | None:
    """(case id, stored hash) of the link, in one lookup on the unique index."""
    row = session.exec(
        select(StatusLink.case_id, StatusLink.token_hash).where(StatusLink.token_hash == token_hash)
    ).first()
    return (row[0], row[1]) if row else None


def sent_replies(session: Session, *, case_id: int) -> list[Reply]:
    """The replies that reached the customer, oldest first (drafts, discarded and failed
    ones never did)."""
    return list(
        session.exec(
            select(Reply)
            .where(Reply.case_id == case_id, Reply.status == "sent")
            .order_by(col(Reply.sent_at), col(Reply.id))
        )
    )
