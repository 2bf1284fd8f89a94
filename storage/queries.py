"""The queries the core needs, keyword-only, one job each.

Conditional updates live here so atomicity is the database's job: a claim is an
`UPDATE … WHERE owner_id IS NULL`, never a read followed by a write.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, update
from sqlmodel import Session, col, select

from storage.models import Acknowledgement, Case, Customer, CustomerIdentity, Post, Reply
from storage.types import ACTIVE_STATUSES, CaseStatus


def find_post(session: Session, *, source: str, external_id: str) -> Post | None:
    return session.exec(
        select(Post).where(Post.source == source, Post.external_id == external_id)
    ).first()


def _ids_of(table: Any) -> Any:
    """Built once (ingest asks for every batch): which of these ids of a source exist."""
    return select(table.c.external_id).where(
        table.c.source == bindparam("source"),
        table.c.external_id.in_(bindparam("ids", expanding=True)),
    )


_STORED = _ids_of(Post.__table__)  # type: ignore[attr-defined]
_KNOWN = _ids_of(CustomerIdentity.__table__)  # type: ignore[attr-defined]


def stored_ids(session: Session, *, source: str, external_ids: list[str]) -> set[str]:
    """Which of these posts of `source` are stored already (one query for a whole feed)."""
    if not external_ids:
        return set()
    return set(session.execute(_STORED, {"source": source, "ids": external_ids}).scalars())


def known_identities(session: Session, *, source: str, external_ids: list[str]) -> set[str]:
    """Which of these authors of `source` have a handle stored (one query for a batch)."""
    if not external_ids:
        return set()
    return set(session.execute(_KNOWN, {"source": source, "ids": external_ids}).scalars())


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


def customers_known_as(
    session: Session, *, emails: list[str], handles: list[str]
) -> list[Customer]:
    """Customers with one of these addresses or handles (on any source), oldest first."""
    ids: set[int] = set()
    if emails:
        lowered = [e.lower() for e in emails]
        ids |= set(session.exec(select(Customer.id).where(func.lower(Customer.email).in_(lowered))))
    if handles:
        lowered = [h.lower() for h in handles]
        ids |= set(
            session.exec(
                select(CustomerIdentity.customer_id).where(
                    func.lower(CustomerIdentity.handle).in_(lowered)
                )
            )
        )
    ids.discard(None)  # type: ignore[arg-type]
    if not ids:
        return []
    return list(
        session.exec(select(Customer).where(col(Customer.id).in_(ids)).order_by(col(Customer.id)))
    )


def open_case_for_thread(
    session: Session,
    *,
    source: str,
    customer_id: int,
    conversation_key: str | None,
    in_reply_to: str | None,
    resolved_in_problem: bool = False,
) -> Case | None:
    """The open case of this customer a follow-up belongs to: a reply to one of the
    case's posts, to our reply or to its acknowledgement, or the same thread.

    Always the same customer: on X every reply under a brand's post shares one
    conversation id, and two people there are two cases. `resolved_in_problem`: the
    resolved case of a problem instead, which such a follow-up reopens. A thread of a
    merged case goes on in the case it was merged into, while that one is open.
    """
    case = _thread_case(
        session,
        source=source,
        customer_id=customer_id,
        conversation_key=conversation_key,
        in_reply_to=in_reply_to,
        resolved_in_problem=resolved_in_problem,
    )
    for _ in range(MERGE_HOPS):
        if case is None or case.status != CaseStatus.MERGED.value or case.merged_into is None:
            break
        case = session.get(Case, case.merged_into)
    if case is not None and case.status == CaseStatus.MERGED.value:
        return None
    if case is not None and not resolved_in_problem and case.status not in ACTIVE_STATUSES:
        return None
    return case


MERGE_HOPS = 10
"""How many merges a follow-up follows (C-13 into C-12 into C-9…); a chain is short."""


def _thread_case(
    session: Session,
    *,
    source: str,
    customer_id: int,
    conversation_key: str | None,
    in_reply_to: str | None,
    resolved_in_problem: bool,
) -> Case | None:
    resolved = CaseStatus.RESOLVED.value
    state = (
        (Case.status == resolved, col(Case.problem_id).is_not(None))
        if resolved_in_problem
        else (Case.status != resolved,)
    )
    mine = (Case.customer_id == customer_id, *state)
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


def contacts_until(session: Session, *, customer_id: int, since: datetime, case_id: int) -> int:
    """Cases the customer opened from `since` up to `case_id` (included): how often they
    had had to write by then."""
    return session.exec(
        select(func.count())
        .select_from(Case)
        .where(
            Case.customer_id == customer_id,
            col(Case.created_at) >= since,
            col(Case.id) <= case_id,
            Case.status != CaseStatus.MERGED.value,
        )
    ).one()


def other_open_cases(
    session: Session, *, customer_id: int, besides: int, limit: int = 5
) -> list[Case]:
    """The customer's other open cases, newest first (on any source)."""
    return list(
        session.exec(
            select(Case)
            .where(
                Case.customer_id == customer_id,
                Case.id != besides,
                col(Case.status).in_(ACTIVE_STATUSES),
            )
            .order_by(col(Case.id).desc())
            .limit(limit)
        )
    )


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
            .where(Case.department == department, col(Case.status).in_(ACTIVE_STATUSES))
            .order_by(col(Case.id))
            .limit(limit)
        )
    )


def cases_by_id(session: Session, *, ids: list[int]) -> dict[int, Case]:
    if not ids:
        return {}
    return {c.id or 0: c for c in session.exec(select(Case).where(col(Case.id).in_(ids)))}
