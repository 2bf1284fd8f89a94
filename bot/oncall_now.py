"""Who answers for a department now: the rotation with its overrides from the database,
else the department's managers."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot import oncall
from config.schema import CasebotConfig
from storage import oncall as store


def active_overrides(
    session: Session, department: str, now: datetime
) -> list[oncall.OncallOverride]:
    return [
        oncall.OncallOverride(row.user_id, row.starts_at, row.ends_at)
        for row in store.overrides(session, department=department, until_after=now)
    ]


def responders(
    session: Session, config: CasebotConfig, department: str, now: datetime
) -> list[str]:
    dept = config.departments[department]
    return oncall.responders(
        dept.oncall, active_overrides(session, department, now), now, dept.managers
    )
