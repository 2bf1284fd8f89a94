"""Escalation: the case moves to another department (or person) and keeps its history.

The customer's SLA clocks are untouched (they belong to the customer, not to whoever
holds the case). The old card stays as a pointer to where the case went; a fresh card
is posted in the target department's channel and its on-call people are told.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot import effects
from bot.cases import get_case
from bot.events import AlreadyWith, CaseEscalated, DomainEvent, InvalidTransition
from bot.ids import Surface
from bot.oncall.roster import responders
from bot.state import Action, require
from config.schema import CasebotConfig


def escalate(
    session: Session,
    case_id: int,
    *,
    actor: str,
    surface: Surface,
    now: datetime,
    config: CasebotConfig,
    department: str | None = None,
    user: str | None = None,
    reason: str = "",
) -> list[DomainEvent]:
    case = get_case(session, case_id)
    require(case_id, case.status, Action.ESCALATE)
    if department is None and user is None:
        raise InvalidTransition(case_id, "escalate to a department or a person.")
    if department is not None and department not in config.departments:
        known = ", ".join(config.departments)
        raise InvalidTransition(case_id, f"there is no department '{department}' ({known}).")
    target = department or case.department
    if target == case.department and (user is None or user == case.owner_id):
        raise AlreadyWith(case_id, target, config.departments[target].name)

    from_department = case.department
    moves = target != from_department
    # The card recorded on the case is the one it shows in the department it leaves,
    # unless that department's card was never posted: then the recorded card is already
    # a pointer from an earlier escalation, and there is no card here to point from.
    live = case.card_channel == config.departments[from_department].channel
    from_channel, from_ts = (case.card_channel, case.card_ts) if live else (None, None)
    case.department = target
    case.owner_id = user
    case.claimed_at = now if user else None
    case.escalations += 1
    case.updated_at = now
    event = CaseEscalated(
        case_id=case_id,
        actor=actor,
        surface=surface,
        at=now,
        from_department=from_department,
        to_department=target,
        to_user=user,
        reason=reason,
        from_channel=from_channel if moves else None,
        from_ts=from_ts if moves else None,
    )
    notify = [user] if user else responders(session, config, target, now)
    effects.publish(session, [event], notify=[u for u in notify if u != actor])
    return [event]
