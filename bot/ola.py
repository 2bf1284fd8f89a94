"""Which department used the customer's time: holds recorded from case events, and
settled — business time held, against the department's OLA budget — by the sweep.

Held time counts the department's OLA calendar (the case's SLA calendar when the
department has no OLA), without the waits on the customer, like the OLA clock. Only a
hold that began with an escalation to a department with an OLA is judged against its
budget: the department a case opens in answers to the customer's SLA, not to an OLA.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from bot import sla
from bot.events import CaseEscalated, CaseOpened, CaseReopened, CaseResolved, DomainEvent
from bot.sla import tracking
from config.schema import CasebotConfig
from storage import holds, queries
from storage.models import Case, Hold

ESCALATED = "escalated"
_MICRO = timedelta(microseconds=1)


def record(session: Session, event: DomainEvent) -> None:
    """Begin and end holds as the case opens, moves, is resolved and reopened."""
    at, case_id = event.at, event.case_id
    match event:
        case CaseOpened(department=department):
            holds.begin(session, case_id=case_id, department=department, arrived="opened", at=at)
        case CaseEscalated(from_department=src, to_department=dst) if src != dst:
            holds.end(session, case_id=case_id, at=at)
            holds.begin(session, case_id=case_id, department=dst, arrived=ESCALATED, at=at)
        case CaseResolved():
            holds.end(session, case_id=case_id, at=at)
        case CaseReopened():
            case = session.get(Case, case_id)
            if case is not None:
                holds.begin(
                    session, case_id=case_id, department=case.department, arrived="reopened", at=at
                )


def _window(config: CasebotConfig, hold: Hold, case: Case) -> sla.Window:
    ola = sla.ola_window(config.sla, hold.department)
    if ola is not None:
        return ola
    policy = sla.policy_for(config.sla, case.priority, hold.department, case.source)
    return policy.window(sla.ClockKind.RESOLUTION)


def held(config: CasebotConfig, hold: Hold, case: Case) -> timedelta:
    """Business time the hold lasted, waits on the customer excluded."""
    end = hold.ended_at or hold.started_at
    clock = sla.Clock(
        name=sla.ola_clock_name(hold.department),
        started_at=hold.started_at,
        window=_window(config, hold, case),
        pauses=tracking.pauses(case),
        stopped_at=end,
    )
    return clock.as_of(end).elapsed(end)


def settle(session: Session, *, config: CasebotConfig, now: datetime, limit: int) -> int:
    """Work out held time and budget of ended holds; returns how many were settled."""
    due = holds.due(session, now=now, limit=limit)
    cases = queries.cases_by_id(session, ids=sorted({h.case_id for h in due}))
    for hold in due:
        case = cases.get(hold.case_id)
        hold.settle_at = None
        if case is None:
            continue
        hold.held_us = held(config, hold, case) // _MICRO
        ola = sla.ola_window(config.sla, hold.department)
        judged = hold.arrived == ESCALATED and ola is not None
        hold.budget_us = ola.duration // _MICRO if judged and ola else None
    return len(due)
