"""Who answers for a department right now: its on-call person, else its managers."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from config.schema import CasebotConfig


def responders(
    session: Session, config: CasebotConfig, department: str, now: datetime
) -> list[str]:
    return config.managers_of(department)
