"""Snoozing a case's reminders: the next warning waits, the breach never does."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from bot import effects
from bot.cases import get_case
from bot.events import DomainEvent, InvalidTransition, Snoozed
from bot.ids import Surface
from bot.state import Action, require
from storage import sla_clocks as store

ALLOWED_MINUTES = (30, 60, 120)


def snooze(
    session: Session,
    case_id: int,
    *,
    minutes: int,
    reason: str,
    actor: str,
    surface: Surface,
    now: datetime,
) -> list[DomainEvent]:
    if minutes not in ALLOWED_MINUTES:
        raise InvalidTransition(case_id, "snooze for 30, 60 or 120 minutes.")
    case = get_case(session, case_id)
    require(case_id, case.status, Action.SNOOZE)
    until = now + timedelta(minutes=minutes)
    for row in store.for_case(session, case_id=case_id, running_only=True):
        row.snoozed_until = until
        row.next_due_at = now
    event = Snoozed(
        case_id=case_id, actor=actor, surface=surface, at=now, minutes=minutes, reason=reason
    )
    effects.publish(session, [event])
    return [event]
