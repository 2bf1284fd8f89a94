"""The rollup's figures equal the reference queries' (`storage.summary`,
`storage.holds`) on random data, on both databases: before any refresh, after one,
after changes the refresh has not seen yet, and after a partial refresh."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, text, update
from sqlmodel import Session, col, select

from storage import summary as ref
from storage.db import Database
from storage.models import Case, Customer, Hold, SlaClock
from storage.rollup import check
from storage.rollup.refresh import refresh, stale_count

pytestmark = pytest.mark.both_db

T0 = datetime(2026, 11, 1, tzinfo=UTC)
NOW = T0 + timedelta(days=9, hours=7, minutes=13)
DEPTS = ("support", "billing", "pr")
CAUSES = ("app-bug", "shipping", "refund", "login")
SPANS = (0, 1, 59, 60, 61, 3599, 3600, 3601, 86_399, 86_400, 90_000, 400_000)


def _span(rng: random.Random) -> timedelta:
    """Durations around the buckets' edges, and anything in between."""
    seconds = rng.choice(SPANS) if rng.random() < 0.3 else rng.randrange(0, 300_000)
    return timedelta(seconds=seconds, microseconds=rng.randrange(1_000_000))


def _at(rng: random.Random) -> datetime:
    return T0 + timedelta(microseconds=rng.randrange(int(9.3 * 86_400 * 1_000_000)))


def _case(s: Session, rng: random.Random, customer: int) -> None:
    opened = _at(rng)
    resolved = opened + _span(rng) if rng.random() < 0.7 else None
    answered = rng.choice([None, None, "replied", "elsewhere", "not_needed", "unanswered"])
    first = opened + _span(rng) if answered in (None, "replied") and rng.random() < 0.7 else None
    if answered == "elsewhere":
        first = resolved
    case = Case(
        department=rng.choice(DEPTS),
        customer_id=customer,
        source="web",
        status="resolved" if resolved else "open",
        created_at=opened,
        updated_at=opened,
        first_response_at=first,
        resolved_at=resolved,
        answered=answered,
        root_cause=rng.choice(CAUSES) if rng.random() < 0.6 else None,
        escalations=rng.choice([0, 0, 1, 2]),
    )
    s.add(case)
    s.flush()
    cid = case.id or 0
    if rng.random() < 0.9:
        due = opened + _span(rng) if rng.random() < 0.9 else None
        stop = first or resolved if rng.random() < 0.8 else None
        s.add(SlaClock(case_id=cid, name="first_response", started_at=opened, due_at=due,
                       stopped_at=stop))  # fmt: skip
    for run in range(1, rng.choice([1, 1, 2, 3])):
        due = opened + _span(rng) if rng.random() < 0.9 else None
        stop = opened + _span(rng) if rng.random() < 0.6 else None
        s.add(SlaClock(case_id=cid, name="resolution", run=run, started_at=opened, due_at=due,
                       stopped_at=stop))  # fmt: skip
    for _ in range(rng.choice([0, 1, 2, 3])):
        start = opened + _span(rng)
        ended = start + _span(rng) if rng.random() < 0.8 else None
        held = int(_span(rng).total_seconds() * 1e6) if ended and rng.random() < 0.9 else None
        budget = int(_span(rng).total_seconds() * 1e6) if rng.random() < 0.5 else None
        s.add(Hold(case_id=cid, department=rng.choice(DEPTS), arrived="escalated",
                   started_at=start, ended_at=ended, held_us=held, budget_us=budget))  # fmt: skip
    if rng.random() < 0.1:
        running = "ola:" + rng.choice(DEPTS)
        s.add(SlaClock(case_id=cid, name=running, started_at=opened, due_at=opened + _span(rng)))


def _load(db: Database, rng: random.Random, n: int) -> None:
    with db.session() as s:
        customer = Customer(name="c", created_at=T0)
        s.add(customer)
        s.flush()
        for _ in range(n):
            _case(s, rng, customer.id or 0)


def _scopes(rng: random.Random) -> list[ref.Scope]:
    midnight = T0 + timedelta(days=3)
    fixed = [
        (T0 - timedelta(days=1), NOW),  # everything
        (midnight, midnight + timedelta(days=3) - timedelta(microseconds=1)),  # whole days
        (midnight, midnight + timedelta(hours=5)),  # within one day
        (NOW - timedelta(days=7), NOW),  # a rolling week
        (NOW - timedelta(days=1), NOW),  # a day, not aligned
        (T0 + timedelta(days=20), T0 + timedelta(days=21)),  # empty
    ]
    fixed += [tuple(sorted((_at(rng), _at(rng)))) for _ in range(4)]  # type: ignore[misc]
    return [ref.Scope(a, b, rng.choice([None, None, *DEPTS])) for a, b in fixed]


def _same(db: Database, scopes: list[ref.Scope]) -> None:
    with db.read() as s:
        for scope in scopes:
            tags = [CAUSES[0], CAUSES[2]]
            rolled = check.rolled(s, scope, NOW, tags, causes=2)
            assert rolled == check.reference(s, scope, NOW, tags, causes=2), scope


def _change(db: Database, rng: random.Random) -> None:
    """What the app does to cases after the fact: moves, resolves, reopens, answers,
    clocks stopping, holds settling, a case deleted."""
    with db.session() as s:
        ids = list(s.exec(select(Case.id)))
        for cid in rng.sample(ids, len(ids) // 5):
            case = s.get(Case, cid)
            assert case is not None
            what = rng.randrange(6)
            if what == 0:
                case.department = rng.choice(DEPTS)
            elif what == 1:
                case.resolved_at = None if case.resolved_at else case.created_at + _span(rng)
                case.root_cause = rng.choice(CAUSES)
            elif what == 2:
                case.first_response_at = case.created_at + _span(rng)
                case.answered = rng.choice([None, "replied", "unanswered", "not_needed"])
            elif what == 3:
                case.escalations = 1 - min(case.escalations, 1)
            elif what == 4:
                s.execute(
                    update(SlaClock)
                    .where(col(SlaClock.case_id) == cid)
                    .values(stopped_at=case.created_at + _span(rng))
                )
            else:
                s.execute(
                    update(Hold)
                    .where(col(Hold.case_id) == cid)
                    .values(held_us=rng.randrange(10**11), ended_at=_at(rng))
                )
        doomed = rng.choice(ids)
        for table in (Hold, SlaClock):
            s.execute(delete(table).where(col(table.case_id) == doomed))  # type: ignore[arg-type]
        s.execute(delete(Case).where(col(Case.id) == doomed))


@pytest.mark.parametrize("seed", [1, 2])
def test_rollup_equals_the_reference_through_refreshes_and_changes(db: Database, seed: int) -> None:
    rng = random.Random(seed)
    _load(db, rng, 160)
    scopes = _scopes(rng)
    _same(db, scopes)  # nothing folded in yet: all live
    with db.session() as s:
        assert refresh(s, limit=10_000) > 0
        assert stale_count(s) == 0
    _same(db, scopes)  # all from the rollup but the partial days
    _change(db, rng)
    with db.read() as s:
        assert stale_count(s) > 0
    _same(db, scopes)  # changed cases swapped for their live facts
    with db.session() as s:
        refresh(s, limit=7)
    _same(db, scopes)
    with db.session() as s:
        while refresh(s, limit=50):
            pass
    _same(db, scopes)


def test_a_change_of_a_watched_column_marks_the_case_and_others_do_not(db: Database) -> None:
    rng = random.Random(3)
    _load(db, rng, 3)
    with db.session() as s:
        refresh(s)
        case = s.exec(select(Case)).first()
        assert case is not None
        case.card_ts = "123.456"
    with db.session() as s:
        assert stale_count(s) == 0
        s.execute(update(Case).values(department="billing"))
    with db.session() as s:
        assert stale_count(s) == 3


@pytest.mark.postgresql_only
def test_a_refresh_leaves_a_case_being_written_for_later_without_waiting(db: Database) -> None:
    """PostgreSQL: a writer holds the mark of the case it changes again until it
    commits; the refresh skips that mark instead of waiting (no lock cycle with writers that change
    several cases), and folds it in once committed."""
    _load(db, random.Random(4), 4)
    with db.session() as s:
        refresh(s)
        first = s.exec(select(Case.id)).first()
        s.execute(update(Case).where(col(Case.id) == first).values(department="pr"))
    with Session(db.engine) as writer:
        writer.execute(update(Case).where(col(Case.id) == first).values(department="billing"))
        with db.session() as s:
            s.execute(text("SET LOCAL lock_timeout = '2s'"))
            assert refresh(s) == 0
        writer.commit()
    with db.session() as s:
        assert refresh(s) == 1
    _same(db, _scopes(random.Random(5)))
