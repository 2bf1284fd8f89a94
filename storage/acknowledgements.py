"""Acknowledgement rows, and telling our own messages from the customer's."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from storage import rows
from storage.models import Acknowledgement, Case, Reply


def add(session: Session, *, case_id: int, state: str, reason: str | None, now: datetime) -> None:
    rows.add(session, Acknowledgement, case_id=case_id, state=state, reason=reason, created_at=now)


def get(session: Session, *, case_id: int) -> Acknowledgement | None:
    rows.write(session)
    return session.get(Acknowledgement, case_id)


def sent_by_us(session: Session, *, source: str, external_id: str) -> bool:
    """Whether `external_id` names a message Casebot sent on `source` (a reply or an
    acknowledgement), whatever state its case is in now."""
    reply = session.exec(
        select(Reply.id)
        .join(Case, col(Case.id) == col(Reply.case_id))
        .where(Case.source == source, Reply.external_id == external_id)
    ).first()
    if reply is not None:
        return True
    ack = session.exec(
        select(Acknowledgement.case_id)
        .join(Case, col(Case.id) == col(Acknowledgement.case_id))
        .where(Case.source == source, Acknowledgement.external_id == external_id)
    ).first()
    return ack is not None


def replies_with_ids(session: Session, *, source: str, external_ids: list[str]) -> list[Reply]:
    """Our replies on `source` that the remote calls by one of `external_ids`."""
    if not external_ids:
        return []
    return list(
        session.exec(
            select(Reply)
            .join(Case, col(Case.id) == col(Reply.case_id))
            .where(Case.source == source, col(Reply.external_id).in_(external_ids))
        )
    )


def acks_with_ids(
    session: Session, *, source: str, external_ids: list[str]
) -> list[Acknowledgement]:
    if not external_ids:
        return []
    return list(
        session.exec(
            select(Acknowledgement)
            .join(Case, col(Case.id) == col(Acknowledgement.case_id))
            .where(Case.source == source, col(Acknowledgement.external_id).in_(external_ids))
        )
    )
