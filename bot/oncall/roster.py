"""Who answers for a department now: the rotation with its overrides from the database,
else the department's managers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot import effects, oncall, permissions
from bot.events import Refused
from bot.ids import Surface
from config.schema import CasebotConfig, Department
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


@dataclass(frozen=True)
class OnCallAnswer:
    department: str
    name: str
    now: list[str]
    from_rotation: bool
    next_user: str | None
    next_at: datetime | None


def who(session: Session, config: CasebotConfig, department: str, now: datetime) -> OnCallAnswer:
    """Who is on call now and who is next, for `/case oncall`."""
    dept = _department(config, department)
    overrides = active_overrides(session, department, now)
    upcoming = oncall.on_call_next(dept.oncall, overrides, now) if dept.oncall else None
    return OnCallAnswer(
        department=department,
        name=dept.name,
        now=oncall.responders(dept.oncall, overrides, now, dept.managers),
        from_rotation=oncall.on_call(dept.oncall, overrides, now) is not None,
        next_user=upcoming.user_id if upcoming else None,
        next_at=upcoming.start if upcoming else None,
    )


def override(
    session: Session,
    config: CasebotConfig,
    *,
    department: str,
    user: str,
    duration: timedelta,
    actor: str,
    surface: Surface,
    now: datetime,
) -> datetime:
    """Put `user` on call from now for `duration` (managers and admins only)."""
    permissions.require(config, actor, "override")
    _department(config, department)
    ends = now + duration
    store.add_override(
        session, department=department, user_id=user, starts_at=now, ends_at=ends, created_by=actor
    )
    effects.audit(
        session,
        kind="oncall_override",
        actor=actor,
        surface=surface.value,
        at=now,
        data={"department": department, "user": user, "until": ends.isoformat()},
    )
    return ends


def _department(config: CasebotConfig, key: str) -> Department:
    if key not in config.departments:
        known = ", ".join(config.departments)
        raise Refused(f"There is no department '{key}' ({known}).")
    return config.departments[key]
