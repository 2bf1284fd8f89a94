"""A case's cards, one per department stint (see `CaseCard`), and the other Slack
messages Casebot edits later (a draft reply's message)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from storage import rows
from storage.models import Case, CaseCard, Reply


def add(session: Session, *, case_id: int, stint: int, department: str) -> None:
    rows.add(session, CaseCard, case_id=case_id, stint=stint, department=department)


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


def where_shown(session: Session, *, case_id: int) -> tuple[str, str] | None:
    """The channel and ts of the card showing the case now, if it was posted."""
    case = session.get(Case, case_id)
    if case is None or not case.card_channel or not case.card_ts:
        return None
    return case.card_channel, case.card_ts


def record_posted(session: Session, *, case_id: int, card_id: int, channel: str, ts: str) -> None:
    """The card `card_id` of the case now shows in `channel` at `ts` (posted or edited)."""
    case, card = session.get(Case, case_id), session.get(CaseCard, card_id)
    if case is not None:
        case.card_channel, case.card_ts = channel, ts
    if card is not None:
        card.channel, card.ts = channel, ts


def record_draft(session: Session, *, reply_id: int, channel: str, ts: str) -> None:
    """Where the draft reply's message (with its approval buttons) was posted."""
    if reply := session.get(Reply, reply_id):
        reply.draft_channel, reply.draft_ts = channel, ts
