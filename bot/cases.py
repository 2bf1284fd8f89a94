"""Case lifecycle: each function changes one case, publishes its events, returns them.

Functions take the acting Slack user id and the surface, and `now`; they raise a
`DomainError` for anything the user should be told instead of a change.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot import effects
from bot.events import (
    AlreadyClaimed,
    CaseClaimed,
    CaseNotFound,
    CaseUnclaimed,
    DomainEvent,
    InvalidTransition,
)
from bot.ids import Surface
from storage import queries
from storage.models import Case


def get_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise CaseNotFound(case_id)
    return case


def _commit(session: Session, events: list[DomainEvent]) -> list[DomainEvent]:
    effects.publish(session, events)
    return events


def claim(
    session: Session, case_id: int, *, actor: str, surface: Surface, now: datetime
) -> list[DomainEvent]:
    """Take an unowned case. Exactly one of any number of simultaneous claimers wins."""
    case = get_case(session, case_id)
    if case.status == "resolved":
        raise InvalidTransition(case_id, "it is resolved; reopen it first.")
    won = queries.set_case_fields(
        session,
        case_id=case_id,
        where={"owner_id": None},
        values={"owner_id": actor, "claimed_at": now, "updated_at": now},
    )
    if not won:
        owner = get_case(session, case_id).owner_id or ""
        if owner == actor:
            raise InvalidTransition(case_id, "you already own it.")
        raise AlreadyClaimed(case_id, owner)
    return _commit(
        session, [CaseClaimed(case_id=case_id, actor=actor, surface=surface, at=now, owner=actor)]
    )


def unclaim(
    session: Session, case_id: int, *, actor: str, surface: Surface, now: datetime
) -> list[DomainEvent]:
    """Give a case back to the queue. Only its owner does that; others escalate or assign."""
    case = get_case(session, case_id)
    if case.owner_id is None:
        raise InvalidTransition(case_id, "nobody owns it.")
    if case.owner_id != actor:
        raise InvalidTransition(case_id, f"it is owned by <@{case.owner_id}>, not you.")
    released = queries.set_case_fields(
        session,
        case_id=case_id,
        where={"owner_id": actor},
        values={"owner_id": None, "claimed_at": None, "updated_at": now},
    )
    if not released:
        raise InvalidTransition(case_id, "its owner changed meanwhile; try again.")
    return _commit(
        session,
        [
            CaseUnclaimed(
                case_id=case_id, actor=actor, surface=surface, at=now, previous_owner=actor
            )
        ],
    )
