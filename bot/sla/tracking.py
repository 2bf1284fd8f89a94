"""SLA clocks of cases in the database: started, stopped and paused by case events.

Events only record facts (start, stop, pause) and mark a clock for the sweep's
attention (`next_due_at = now`); the sweep, which has the config, works out the real
next instant. That keeps every lifecycle function free of SLA arithmetic.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot import ola, sla
from bot.events import (
    CaseEscalated,
    CaseOpened,
    CaseReopened,
    CaseResolved,
    CustomerReturned,
    DomainEvent,
    PostAdded,
    ReplySent,
    WaitingOnCustomer,
)
from bot.sla.promise import Promise, of_clock
from bot.state import CaseStatus
from config.schema import CasebotConfig
from storage import sla_clocks as store
from storage.models import Case, SlaClock

FIRST = sla.ClockKind.FIRST_RESPONSE.value
NEXT = sla.ClockKind.NEXT_RESPONSE.value
RESOLUTION = sla.ClockKind.RESOLUTION.value


def apply(session: Session, event: DomainEvent) -> None:
    """Update the case's clocks, and which department holds it (`bot.ola`), for one
    event (called by `effects.publish`)."""
    ola.record(session, event)
    at, case_id = event.at, event.case_id
    match event:
        case CaseOpened():
            store.start(session, case_id=case_id, name=FIRST, at=at, first=True)
            store.start(session, case_id=case_id, name=RESOLUTION, at=at, first=True)
        case ReplySent():
            store.stop(session, case_id=case_id, names=[FIRST, NEXT], at=at)
        case PostAdded():
            case = session.get(Case, case_id)
            answered = case is not None and case.first_response_at is not None
            if answered and not store.running(session, case_id=case_id, name=NEXT):
                store.start(session, case_id=case_id, name=NEXT, at=at)
        case WaitingOnCustomer():
            _pause(session, case_id, at)
        case CustomerReturned():
            _resume(session, case_id, at)
        case CaseResolved():
            store.stop(session, case_id=case_id, names=None, at=at)
            _end_pause(session, case_id, at)
        case CaseReopened():
            store.start(session, case_id=case_id, name=RESOLUTION, at=at)
        case CaseEscalated(from_department=src, to_department=dst) if src != dst:
            store.stop(session, case_id=case_id, names=[sla.ola_clock_name(src)], at=at)
            store.start(session, case_id=case_id, name=sla.ola_clock_name(dst), at=at)


def _pause(session: Session, case_id: int, at: datetime) -> None:
    case = session.get(Case, case_id)
    if case is not None:
        case.pauses = [*case.pauses, [at.isoformat(), None]]
        store.touch(session, case_id=case_id, at=at)


def _resume(session: Session, case_id: int, at: datetime) -> None:
    if _end_pause(session, case_id, at):
        store.touch(session, case_id=case_id, at=at)


def _end_pause(session: Session, case_id: int, at: datetime) -> bool:
    """Close the open pause, if any. A resolve ends the wait too: otherwise the pause
    would outlive it and hold the clocks of a reopened case that waits on nobody."""
    case = session.get(Case, case_id)
    if case is None or not case.pauses or case.pauses[-1][1] is not None:
        return False
    case.pauses = [*case.pauses[:-1], [case.pauses[-1][0], at.isoformat()]]
    return True


def pauses(case: Case) -> tuple[sla.Pause, ...]:
    return tuple(
        sla.Pause(
            datetime.fromisoformat(str(start)),
            datetime.fromisoformat(str(end)) if end else None,
        )
        for start, end in case.pauses
    )


def window(row: SlaClock, case: Case, config: CasebotConfig) -> sla.Window | None:
    """The clock's window under the current config; None when none applies (no OLA)."""
    if row.name.startswith(sla.OLA_PREFIX):
        return sla.ola_window(config.sla, row.name.removeprefix(sla.OLA_PREFIX))
    policy = sla.policy_for(config.sla, case.priority, case.department, case.source)
    return policy.window(sla.ClockKind(row.name))


def model(row: SlaClock, case: Case, config: CasebotConfig) -> sla.Clock | None:
    win = window(row, case, config)
    if win is None:
        return None
    return sla.Clock(
        name=row.name,
        started_at=row.started_at,
        window=win,
        pauses=pauses(case),
        stopped_at=row.stopped_at,
    )


def readings(
    rows: list[SlaClock], case: Case, config: CasebotConfig, now: datetime
) -> list[sla.ClockReading]:
    return [sla.read(c, now) for row in rows if (c := model(row, case, config)) is not None]


def describe_rows(
    rows: list[SlaClock], case: Case, config: CasebotConfig, now: datetime
) -> list[str]:
    return [r.text for r in readings(rows, case, config, now)]


def card_readings(
    session: Session, case: Case, config: CasebotConfig, now: datetime
) -> list[sla.ClockReading]:
    """One reading per clock that matters now: the running ones of an open case; of a
    resolved case each clock's latest run (a reopened case has several, and only the
    last one says how it ended)."""
    running_only = case.status != CaseStatus.RESOLVED
    rows = store.for_case(session, case_id=case.id or 0, running_only=running_only)
    latest = {row.name: row for row in rows}
    return readings(list(latest.values()), case, config, now)


def card_lines(session: Session, case: Case, config: CasebotConfig, now: datetime) -> list[str]:
    """`card_readings` as plain text (`/case show`)."""
    return [r.text for r in card_readings(session, case, config, now)]


def response_promise(
    session: Session, case: Case, config: CasebotConfig, now: datetime
) -> Promise | None:
    """What the case promises the customer at `now`: the due time of its running response
    clock (first response, or next response after a follow-up), read exactly as the card
    reads it; None when no answer is owed (answered, waiting on them, resolved)."""
    if case.status == CaseStatus.RESOLVED:
        return None
    rows = store.for_case(session, case_id=case.id or 0, running_only=True)
    for row in reversed(rows):
        if row.name in (FIRST, NEXT) and (clock := model(row, case, config)) is not None:
            return of_clock(clock, now)
    return None
