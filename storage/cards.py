"""A case's cards, one per department stint (see `CaseCard`)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from storage.models import CaseCard


def add(session: Session, *, case_id: int, stint: int, department: str) -> None:
    session.add(CaseCard(case_id=case_id, stint=stint, department=department))


def of_case(session: Session, *, case_id: int) -> list[CaseCard]:
    """Oldest first."""
    stmt = select(CaseCard).where(CaseCard.case_id == case_id).order_by(col(CaseCard.stint))
    return list(session.exec(stmt))


def latest_in(session: Session, *, case_id: int, department: str) -> CaseCard | None:
    """The newest card of the case in `department`: the one a card refresh renders into."""
    stmt = (
        select(CaseCard)
        .where(CaseCard.case_id == case_id, CaseCard.department == department)
        .order_by(col(CaseCard.stint).desc())
        .limit(1)
    )
    return session.exec(stmt).first()
