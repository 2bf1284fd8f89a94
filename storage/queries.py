"""The queries the core needs, keyword-only, one job each.

Conditional updates live here so atomicity is the database's job: a claim is an
`UPDATE … WHERE owner_id IS NULL`, never a read followed by a write.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, update
from sqlmodel import Session, SQLModel, col, select

from storage.models import Acknowledgement, Case, Customer, CustomerIdentity, Post, Reply


def find_post(session: Session, *, source: str, external_id: str) -> Post | None:
    return session.exec(
        select(Post).where(Post.source == source, Post.external_id == external_id)
    ).first()


def insert_returning_id(session: Session, model: type[SQLModel], **values: Any) -> int:
    """One row of `model`'s table by a plain INSERT … RETURNING id: no ORM object, no
    flush. For rows the unit of work does not read back as objects; every column that
    has a Python-side default must be given."""
    table = model.__table__  # type: ignore[attr-defined]
    return int(session.execute(insert(table).values(**values).returning(table.c.id)).scalar_one())


def find_identity(session: Session, *, source: str, external_id: str) -> CustomerIdentity | None:
    return session.exec(
        select(CustomerIdentity).where(
            CustomerIdentity.source == source, CustomerIdentity.external_id == external_id
        )
    ).first()


def find_customer_by_email(session: Session, *, email: str) -> Customer | None:
    return session.exec(
        select(Customer).where(func.lower(Customer.email) == email.lower()).order_by(Customer.id)
    ).first()


def open_case_for_thread(
    session: Session,
    *,
    source: str,
    customer_id: int,
    conversation_key: str | None,
    in_reply_to: str | None,
) -> Case | None:
    """The open case of this customer a follow-up belongs to: a reply to one of the
    case's posts, to our reply or to its acknowledgement, or the same thread.

    Always the same customer: on X every reply under a brand's post shares one
    conversation id, and two people there are two cases.
    """
    mine = (Case.customer_id == customer_id, Case.status != "resolved")
    if in_reply_to:
        case = (
            session.exec(
                select(Case)
                .join(Post, col(Post.case_id) == col(Case.id))
                .where(Post.source == source, Post.external_id == in_reply_to, *mine)
            ).first()
            or session.exec(
                select(Case)
                .join(Reply, col(Reply.case_id) == col(Case.id))
                .where(Case.source == source, Reply.external_id == in_reply_to, *mine)
            ).first()
            or session.exec(
                select(Case)
                .join(Acknowledgement, col(Acknowledgement.case_id) == col(Case.id))
                .where(Case.source == source, Acknowledgement.external_id == in_reply_to, *mine)
            ).first()
        )
        if case:
            return case
    if conversation_key:
        return session.exec(
            select(Case)
            .where(Case.conversation_key == conversation_key, *mine)
            .order_by(col(Case.id).desc())
        ).first()
    return None


def count_recent_cases(session: Session, *, customer_id: int, since: datetime) -> int:
    return session.exec(
        select(func.count())
        .select_from(Case)
        .where(Case.customer_id == customer_id, col(Case.created_at) >= since)
    ).one()


def earlier_cases(
    session: Session, *, customer_id: int, before_case: int, limit: int = 5
) -> list[Case]:
    return list(
        session.exec(
            select(Case)
            .where(Case.customer_id == customer_id, col(Case.id) < before_case)
            .order_by(col(Case.id).desc())
            .limit(limit)
        )
    )


def first_post(session: Session, *, case_id: int) -> Post | None:
    return session.exec(
        select(Post).where(Post.case_id == case_id).order_by(col(Post.id)).limit(1)
    ).first()


def latest_post_id(session: Session, *, case_id: int) -> int | None:
    return session.exec(
        select(Post.id).where(Post.case_id == case_id).order_by(col(Post.id).desc()).limit(1)
    ).first()


def count_posts(session: Session, *, case_id: int) -> int:
    return session.exec(select(func.count()).select_from(Post).where(Post.case_id == case_id)).one()


def set_case_fields(
    session: Session, *, case_id: int, where: dict[str, Any], values: dict[str, Any]
) -> bool:
    """Conditional update: applies `values` only if every `where` column still matches.

    Returns whether this caller won. `None` in `where` means IS NULL.
    """
    stmt = update(Case).where(col(Case.id) == case_id)
    for name, expected in where.items():
        column = getattr(Case, name)
        stmt = stmt.where(column.is_(None) if expected is None else column == expected)
    result = session.execute(stmt.values(**values).execution_options(synchronize_session=False))
    session.expire_all()
    return result.rowcount == 1  # type: ignore[attr-defined]


def open_cases(session: Session, *, department: str, limit: int) -> list[Case]:
    return list(
        session.exec(
            select(Case)
            .where(Case.department == department, Case.status != "resolved")
            .order_by(col(Case.id))
            .limit(limit)
        )
    )


def cases_by_id(session: Session, *, ids: list[int]) -> dict[int, Case]:
    if not ids:
        return {}
    return {c.id or 0: c for c in session.exec(select(Case).where(col(Case.id).in_(ids)))}
