"""Reads behind `/case summary`: cases in a period, the open backlog, breaches."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from storage.models import Case, Reminder, SlaClock

Query = TypeVar("Query", bound=SelectOfScalar[Any])


def _in_department(stmt: Query, department: str | None) -> Query:
    return stmt.where(Case.department == department) if department else stmt


def created_between(
    session: Session, *, since: datetime, until: datetime, department: str | None
) -> list[Case]:
    stmt = select(Case).where(col(Case.created_at) >= since, col(Case.created_at) <= until)
    return list(session.exec(_in_department(stmt, department)))


def resolved_between(
    session: Session, *, since: datetime, until: datetime, department: str | None
) -> list[Case]:
    stmt = select(Case).where(col(Case.resolved_at) >= since, col(Case.resolved_at) <= until)
    return list(session.exec(_in_department(stmt, department)))


def open_cases(session: Session, *, department: str | None) -> list[Case]:
    stmt = select(Case).where(Case.status != "resolved")
    return list(session.exec(_in_department(stmt, department)))


def breached_case_ids(
    session: Session, *, since: datetime, until: datetime, department: str | None
) -> set[int]:
    stmt = (
        select(Reminder.case_id)
        .join(Case, col(Case.id) == col(Reminder.case_id))
        .where(Reminder.threshold == "breach", col(Reminder.at) >= since, col(Reminder.at) <= until)
    )
    return set(session.exec(_in_department(stmt, department)))


def clocks_of(session: Session, *, case_ids: list[int], name: str) -> list[SlaClock]:
    if not case_ids:
        return []
    return list(
        session.exec(
            select(SlaClock).where(col(SlaClock.case_id).in_(case_ids), SlaClock.name == name)
        )
    )
