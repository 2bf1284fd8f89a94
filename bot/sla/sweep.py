"""The SLA sweep: find clocks whose next instant has come, send each reminder once, and
re-render the card of each case whose clock crossed a threshold (once per sweep).

One sweep is one transaction: the reminder rows (unique per clock run and threshold),
the audit events and the outbox messages commit together, so a reminder is sent
exactly once across restarts and across workers. Several people's reminders due in
one sweep become one DM per person. After an outage, every threshold that passed is
claimed but only the most severe is sent: stale warnings collapse, breaches still go.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from bot import effects, ola, sla
from bot.events import SYSTEM, SlaWarning
from bot.ids import Surface, format_case_id
from bot.oncall.roster import responders
from bot.outbox import kinds
from bot.outbox.kinds import ProblemReminderItem, ReminderItem, Reminders
from bot.problems import reminders as problem_reminders
from bot.sla import tracking
from bot.state import CaseStatus
from config.schema import CasebotConfig
from storage import queries, rows
from storage import sla_clocks as clock_store
from storage.models import Case, Reminder, SlaClock

BATCH = 500
SQLITE_BATCH = 100
"""On SQLite a sweep transaction holds the one writer that ingest needs: a burst's new
clocks are each looked at once, and 500 of them held it 185 ms a transaction (the
posts behind it waited as long); the same clocks in five transactions take turns with
ingest's."""


@dataclass(frozen=True)
class SweepResult:
    looked_at: int
    reminders: int
    dms: int


@dataclass
class _Batch:
    """What one sweep reads once and shares across clocks."""

    session: Session
    now: datetime
    config: CasebotConfig
    cases: dict[int, Case]
    digest: dict[str, list[ReminderItem | ProblemReminderItem]] = field(
        default_factory=lambda: defaultdict(list)
    )
    oncall: dict[str, list[str]] = field(default_factory=dict)
    problem_owners: dict[int, str] = field(default_factory=dict)
    """Unowned cases whose problem someone claimed: case id → that person."""
    by_problem: dict[tuple[str, int], list[ReminderItem]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def recipients(self, case: Case, step: tuple[str, ...]) -> list[str]:
        people: list[str] = []
        for who in step:
            if who == "owner" and case.owner_id:
                people.append(case.owner_id)
            elif who == "oncall":
                if case.department not in self.oncall:
                    self.oncall[case.department] = responders(
                        self.session, self.config, case.department, self.now
                    )
                people += self.oncall[case.department]
            elif who == "manager":
                people += self.config.managers_of(case.department)
        return list(dict.fromkeys(people))


def _visit(batch: _Batch, row: SlaClock) -> bool:
    """Look at one clock; returns whether a reminder fired."""
    session, now, config, digest = batch.session, batch.now, batch.config, batch.digest
    case = batch.cases.get(row.case_id)
    clock = tracking.model(row, case, config) if case else None
    if case is None or clock is None:
        row.next_due_at = None
        return False
    row.due_at = (clock.as_of(row.stopped_at) if row.stopped_at else clock).due_at()
    if row.stopped_at is not None or case.status == CaseStatus.RESOLVED:
        row.next_due_at = None
        return False
    if crossed := sla.crossed(clock, now, row.card_steps):
        row.card_steps = [*row.card_steps, *(t.name for t in crossed)]
        effects.refresh_card(session, case.id or 0, now)
    due = sla.due_thresholds(clock, now, row.sent, row.snoozed_until)
    fired = False
    if due:
        worst = due[-1]
        for threshold in due:
            rows.add(
                session,
                Reminder,
                clock_id=row.id or 0,
                case_id=case.id or 0,
                threshold=threshold.name,
                at=now,
            )
        row.sent = [*row.sent, *(t.name for t in due)]
        owned = case.owner_id is not None
        step = sla.audience(config.sla.reminders, worst, owned=owned)
        people = batch.recipients(case, step)
        problem_owner = batch.problem_owners.get(case.id or 0)
        if problem_owner and "owner" in sla.audience(config.sla.reminders, worst, owned=True):
            people = [problem_owner, *(p for p in people if p != problem_owner)]
        text = sla.describe(clock, now)
        for person in people:
            into: list[ReminderItem] | list[ReminderItem | ProblemReminderItem] = (
                batch.by_problem[(person, case.problem_id or 0)]
                if person == problem_owner
                else digest[person]
            )
            into.append(
                ReminderItem(
                    case_id=case.id or 0,
                    ref=format_case_id(case.id or 0),
                    clock_id=row.id or 0,
                    threshold=worst.name,
                    breach=worst.is_breach,
                    text=text,
                    priority=case.priority,
                    owner=case.owner_id,
                    as_owner=person == case.owner_id,
                )
            )
        effects.publish(
            session,
            [
                SlaWarning(
                    case_id=case.id or 0,
                    actor=SYSTEM,
                    surface=Surface.WORKER,
                    at=now,
                    clock=row.name,
                    threshold=worst.name,
                    text=text,
                    notified=people,
                    owned=owned,
                )
            ],
        )
        fired = True
    times = (
        sla.next_due_at(clock, row.sent, row.snoozed_until),
        sla.next_crossing(clock, row.card_steps),
    )
    row.next_due_at = min((t for t in times if t is not None), default=None)
    return fired


def sweep(
    session: Session, *, now: datetime, config: CasebotConfig, limit: int = BATCH
) -> SweepResult:
    rows.batch(session)
    due = clock_store.claim_due(session, now=now, limit=limit)
    case_ids = sorted({row.case_id for row in due})
    cases = queries.cases_by_id(session, ids=case_ids)
    batch = _Batch(
        session,
        now,
        config,
        cases,
        problem_owners=problem_reminders.owners(session, cases.values()),
    )
    effects.prefetch_cards(session, case_ids)
    with session.no_autoflush:
        fired = sum(_visit(batch, row) for row in due)
    for (person, problem_id), items in batch.by_problem.items():
        batch.digest[person].append(problem_reminders.grouped(problem_id, person, items))
    for person, items in batch.digest.items():
        kinds.enqueue(
            session,
            Reminders(user=person, items=tuple(items)),
            key=f"{Reminders.kind}:{person}:{uuid.uuid4()}",
            now=now,
        )
    settled = ola.settle(session, config=config, now=now, limit=limit)
    return SweepResult(looked_at=len(due) + settled, reminders=fired, dms=len(batch.digest))


def still_due(session: Session, item: ReminderItem) -> bool:
    """Re-checked when the reminder goes out: answered, resolved, paused or reassigned
    meanwhile → dropped from the DM."""
    clock = session.get(SlaClock, item.clock_id)
    case = session.get(Case, item.case_id)
    if clock is None or case is None or clock.stopped_at is not None:
        return False
    if case.status != CaseStatus.OPEN:
        return False
    return not item.as_owner or case.owner_id == item.owner
