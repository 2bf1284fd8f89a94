"""Case lifecycle: each function changes one case, publishes its events, returns them.

Functions take the acting Slack user id and the surface, and `now`; they raise a
`DomainError` for anything the user should be told instead of a change.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot import answered, effects, permissions
from bot.answered import Answered
from bot.events import (
    AlreadyClaimed,
    AlreadyOwns,
    CaseAssigned,
    CaseClaimed,
    CaseNotFound,
    CaseReopened,
    CaseResolved,
    CaseUnclaimed,
    DomainEvent,
    InvalidTransition,
    NoteAdded,
    NotTheOwner,
    TakenOver,
    TextRevealed,
    WaitingOnCustomer,
)
from bot.ids import Surface
from bot.state import Action, CaseStatus, require
from config.schema import CasebotConfig
from storage import queries
from storage.models import MAX_ID, Case


def get_case(session: Session, case_id: int) -> Case:
    """The case, or `CaseNotFound`; every change and read of a case by its id starts here."""
    case = session.get(Case, case_id) if 0 < case_id <= MAX_ID else None
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
    _allowing(session, case_id, Action.CLAIM)
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
    case = _allowing(session, case_id, Action.UNCLAIM)
    if case.owner_id is None:
        raise InvalidTransition(case_id, "nobody owns it.")
    if case.owner_id != actor:
        raise NotTheOwner(case_id, case.owner_id)
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


def assign(
    session: Session,
    case_id: int,
    *,
    to: str,
    actor: str,
    surface: Surface,
    now: datetime,
    config: CasebotConfig,
) -> list[DomainEvent]:
    """Give the case to a named person, whoever owned it before."""
    permissions.require(config, actor, "assign")
    case = _allowing(session, case_id, Action.ASSIGN)
    previous = case.owner_id
    if previous == to:
        raise AlreadyOwns(case_id, to)
    case.owner_id, case.claimed_at, case.updated_at = to, now, now
    event = CaseAssigned(
        case_id=case_id, actor=actor, surface=surface, at=now, owner=to, previous_owner=previous
    )
    # The new owner may not be watching the channel: they get a DM saying so.
    effects.publish(session, [event], notify=[to] if to != actor else [])
    return [event]


def resolve(
    session: Session,
    case_id: int,
    *,
    actor: str,
    surface: Surface,
    now: datetime,
    config: CasebotConfig,
    root_cause: str | None = None,
    note: str = "",
    reason: Answered | None = None,
) -> list[DomainEvent]:
    """Close the case; the root cause (from the config's list) feeds the summaries.

    `reason` says why a case without a reply needs none (see `bot.answered`): answered
    elsewhere makes the resolve its first response; without a reason it counts as
    never answered.
    """
    case = _allowing(session, case_id, Action.RESOLVE)
    if root_cause is not None and config.root_causes and root_cause not in config.root_causes:
        known = ", ".join(config.root_causes)
        raise InvalidTransition(case_id, f"'{root_cause}' is not a root cause; use one of: {known}")
    case.status, case.root_cause, case.resolved_at, case.updated_at = (
        CaseStatus.RESOLVED.value,
        root_cause,
        now,
        now,
    )
    verdict = answered.on_resolve(case.answered, reason)
    case.answered = verdict.value
    if verdict is Answered.ELSEWHERE and case.first_response_at is None:
        case.first_response_at = now
    event = CaseResolved(
        case_id=case_id,
        actor=actor,
        surface=surface,
        at=now,
        root_cause=root_cause,
        note=note,
        answered=verdict.value,
    )
    return _commit(session, [event])


def reopen(
    session: Session,
    case_id: int,
    *,
    actor: str,
    surface: Surface,
    now: datetime,
    config: CasebotConfig,
) -> list[DomainEvent]:
    permissions.require(config, actor, "reopen")
    case = _allowing(session, case_id, Action.REOPEN)
    case.status, case.resolved_at, case.updated_at = CaseStatus.OPEN.value, None, now
    case.answered = answered.on_reopen(case.answered)
    return _commit(session, [CaseReopened(case_id=case_id, actor=actor, surface=surface, at=now)])


def wait_on_customer(
    session: Session, case_id: int, *, actor: str, surface: Surface, now: datetime
) -> list[DomainEvent]:
    """Pause the customer's clocks until they write again."""
    case = _allowing(session, case_id, Action.WAIT)
    case.status, case.updated_at = CaseStatus.WAITING.value, now
    return _commit(
        session, [WaitingOnCustomer(case_id=case_id, actor=actor, surface=surface, at=now)]
    )


def note(
    session: Session, case_id: int, *, text: str, actor: str, surface: Surface, now: datetime
) -> list[DomainEvent]:
    """An internal note: it goes to the thread and the audit log, never to the customer."""
    _allowing(session, case_id, Action.NOTE)
    if not text.strip():
        raise InvalidTransition(case_id, "a note needs some text.")
    return _commit(
        session, [NoteAdded(case_id=case_id, actor=actor, surface=surface, at=now, text=text)]
    )


def _allowing(session: Session, case_id: int, action: Action) -> Case:
    """The case, if its status allows `action` (see `bot.state`)."""
    case = get_case(session, case_id)
    require(case_id, case.status, action)
    return case


def take_over(
    session: Session, case_id: int, *, actor: str, surface: Surface, now: datetime
) -> list[DomainEvent]:
    """Anyone may rescue a breached case from its owner (the breach DM offers this)."""
    case = _allowing(session, case_id, Action.TAKE_OVER)
    if case.owner_id == actor:
        raise InvalidTransition(case_id, "you already own it.")
    previous = case.owner_id
    case.owner_id, case.claimed_at, case.updated_at = actor, now, now
    event = TakenOver(
        case_id=case_id, actor=actor, surface=surface, at=now, owner=actor, previous_owner=previous
    )
    return _commit(session, [event])


def reveal(
    session: Session, case_id: int, *, actor: str, surface: Surface, now: datetime
) -> tuple[str, list[DomainEvent]]:
    """The customer's opening post as they wrote it, before masking, for `actor` alone;
    the reading is audited. The text is returned, never logged or put in the event."""
    case = _allowing(session, case_id, Action.REVEAL)
    post = queries.first_post(session, case_id=case.id or 0)
    event = TextRevealed(
        case_id=case_id, actor=actor, surface=surface, at=now, post_id=post.id if post else None
    )
    return (post.text if post else ""), _commit(session, [event])
