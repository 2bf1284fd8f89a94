"""On-call handoffs: announce each new shift once, and brief the incoming person.

A `Handoff` row per (department, shift start) is claimed in the same transaction as
the messages, so a handoff is announced exactly once however many workers run.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot import oncall, sla
from bot.ids import format_case_id
from bot.oncall.roster import active_overrides
from bot.outbox import kinds
from bot.outbox.kinds import Message
from bot.sla import tracking
from config.schema import CasebotConfig
from storage import oncall as store
from storage import queries
from storage import sla_clocks as clock_store
from storage.worker_tables import Handoff

AT_RISK_LIMIT = 15


def at_risk(
    session: Session, config: CasebotConfig, department: str, now: datetime
) -> list[dict[str, Any]]:
    """Open cases of the department with a running clock, soonest due first."""
    items: list[tuple[datetime, dict[str, Any]]] = []
    for case in queries.open_cases(session, department=department, limit=200):
        for row in clock_store.for_case(session, case_id=case.id or 0, running_only=True):
            clock = tracking.model(row, case, config)
            due = clock.as_of(now).due_at() if clock else None
            if clock is None or due is None:
                continue
            items.append(
                (due, {"ref": format_case_id(case.id or 0), "text": sla.describe(clock, now)})
            )
    items.sort(key=lambda pair: pair[0])
    return [item for _, item in items[:AT_RISK_LIMIT]]


def announce_handoffs(session: Session, *, config: CasebotConfig, now: datetime) -> int:
    announced = 0
    for key, dept in config.departments.items():
        if dept.oncall is None:
            continue
        shift = oncall.current_shift(dept.oncall, now)
        if store.announced(session, department=key, shift_start=shift.start):
            continue
        overrides = active_overrides(session, key, now)
        person = oncall.on_call(dept.oncall, overrides, now) or shift.user_id
        session.add(
            Handoff(department=key, shift_start=shift.start, user_id=person, announced_at=now)
        )
        data = {
            "department": dept.name,
            "user": person,
            "until": shift.end.isoformat(),
            "at_risk": at_risk(session, config, key, now),
        }
        kinds.enqueue(
            session,
            Message(template="handoff", data=data, channel=dept.channel),
            key=f"handoff:{key}:{shift.start.isoformat()}",
            now=now,
        )
        kinds.enqueue(
            session,
            Message(template="handoff_dm", data=data, user=person),
            key=f"handoff-dm:{key}:{shift.start.isoformat()}:{uuid.uuid4().hex[:8]}",
            now=now,
        )
        announced += 1
    return announced
