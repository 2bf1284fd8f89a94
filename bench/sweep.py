"""What one SLA sweep costs as open cases pile up, and how late reminders fire.

Part 1 seeds 1k, 10k and 100k open cases (each with its `first_response` and
`resolution` clocks) straight into the tables with bulk inserts, exactly 100 of them
with a warning due, and times one real `bot.sla.sweep.sweep()` unit of work per size: the
claim is an indexed range scan on `sla_clocks.next_due_at`, so the figure should follow
the 100 due clocks, not the open count. Database time is what the driver spends in
`execute` (plus the commit), summed with SQLAlchemy cursor events; wall time adds the
ORM and the SLA arithmetic. The claim query's plan is printed to show the index at work.

Part 2 runs the worker's `sweep_once` every `sla_sweep_seconds` of simulated time
(ManualTime) over 1,000 reminders due at random instants, and reports lateness: the
reminder row's `at` minus the threshold's instant, as the app itself computes it.

Prints figures; asserts only what makes them meaningful (100 fired, 1,000 reminders).
"""

from __future__ import annotations

import random
import re
import statistics
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, delete, event, func, insert, select, text, update

from bench.common import EXAMPLE, database
from bot import sla
from bot.deps import Deps
from bot.sla import tracking as case_clocks
from bot.sla.sweep import sweep
from bot.timesource import ManualTime
from bot.worker import sweep_once
from config.load import load_config
from config.schema import CasebotConfig, default_sla
from config.settings import Settings
from storage.db import Database
from storage.models import Case, Customer, Event, Outbox, Reminder, SlaClock

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
SIZES = (1_000, 10_000, 100_000)
DUE = 100
REPEATS = 5
LATE_REMINDERS = 1_000
LATE_TICKS = 240
"""One simulated hour of sweeps at the default 15 s interval."""

OWNERS = ("U0AGENT001", "U0AGENT002", "U0AGENT003", "U0AGENT004")
PRIORITIES = ("urgent", "high", "normal", "normal", "low")
SOURCE = "twitter"
CHUNK = 10_000
FR = sla.ClockKind.FIRST_RESPONSE.value
RES = sla.ClockKind.RESOLUTION.value


# --- database time ------------------------------------------------------------------


class DbTimer:
    """Sums time spent inside the DB driver while switched on.

    Cursor events bracket every statement (BEGIN IMMEDIATE on SQLite included); the
    commit is not a statement, so the dialect's `do_commit` is wrapped too. Row fetches
    after `execute` returns are not counted: for 100 indexed rows they are negligible.
    """

    def __init__(self, engine: Engine) -> None:
        self.on = False
        self.calls: list[tuple[str, float]] = []
        self._t0 = 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        dialect = engine.dialect
        inner = dialect.do_commit

        def do_commit(dbapi_conn: Any) -> None:
            t0 = time.perf_counter()
            try:
                inner(dbapi_conn)
            finally:
                if self.on:
                    self.calls.append(("COMMIT", time.perf_counter() - t0))

        dialect.do_commit = do_commit  # type: ignore[method-assign]

    def _before(self, *_: Any) -> None:
        self._t0 = time.perf_counter()

    def _after(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if self.on:
            self.calls.append((label(statement), time.perf_counter() - self._t0))

    @contextmanager
    def measure(self) -> Iterator[list[tuple[str, float]]]:
        self.calls = []
        self.on = True
        try:
            yield self.calls
        finally:
            self.on = False


def label(statement: str) -> str:
    """`SELECT cases`, `INSERT outbox`…: enough to see where a sweep's time goes."""
    sql = " ".join(statement.split()).upper()
    verb = sql.split(" ", 1)[0]
    pattern = {"SELECT": r"\bFROM (\w+)", "INSERT": r"INTO (\w+)", "UPDATE": r"UPDATE (\w+)"}
    m = re.search(pattern.get(verb, r"^$"), sql)
    return f"{verb} {m[1].lower()}" if m else verb


# --- seeding ------------------------------------------------------------------------


@dataclass
class Seeder:
    """Writes open cases and their clocks as the app would have left them.

    A clock's `sent` and `next_due_at` come from the app's own SLA model: thresholds
    at or before `sent_before` count as already reminded (an earlier sweep did it),
    and `next_due_at` is the first one still pending, as `sla.next_due_at` says.
    """

    engine: Engine
    config: CasebotConfig
    rng: random.Random
    next_case: int = 1
    next_clock: int = 1
    _offsets: dict[tuple[str, str, str], tuple[tuple[str, timedelta], ...]] = field(
        default_factory=dict
    )

    def offsets(self, priority: str, department: str, name: str) -> Sequence[tuple[str, timedelta]]:
        """Each threshold's distance from the clock's start, from the app's own model.

        A distance is only constant on a 24/7 calendar (the default policies), so any
        other calendar stops the bench rather than seed wrong due times.
        """
        key = (priority, department, name)
        if key not in self._offsets:
            policy = sla.policy_for(self.config.sla, priority, department, SOURCE)
            if not policy.calendar.always_open:
                raise SystemExit(f"bench needs 24/7 SLA calendars, {key} uses business hours")
            clock = sla.Clock(name=name, started_at=NOW, window=policy.window(sla.ClockKind(name)))
            self._offsets[key] = tuple((t.name, (t.at or NOW) - NOW) for t in clock.thresholds())
        return self._offsets[key]

    def clock(
        self,
        case: dict[str, Any],
        name: str,
        started_at: datetime,
        sent_before: datetime,
        stopped_at: datetime | None = None,
    ) -> dict[str, Any]:
        steps = [
            (n, started_at + off)
            for n, off in self.offsets(case["priority"], case["department"], name)
        ]
        sent = [] if stopped_at else [n for n, at in steps if at <= sent_before]
        pending = [at for n, at in steps if n not in sent]
        row = {
            "id": self.next_clock,
            "case_id": case["id"],
            "name": name,
            "run": 1,
            "started_at": started_at,
            "stopped_at": stopped_at,
            "snoozed_until": None,
            "next_due_at": None if stopped_at else min(pending, default=None),
            "sent": sent,
            "card_steps": sent,
        }
        self.next_clock += 1
        return row

    def case(
        self, priority: str, department: str, started_at: datetime, answered_at: datetime | None
    ) -> dict[str, Any]:
        owner = self.rng.choice(OWNERS) if self.rng.random() < 0.6 else None
        row = {
            "id": self.next_case,
            "department": department,
            "status": "open",
            "owner_id": owner,
            "priority": priority,
            "priority_reason": "bench",
            "tags": [],
            "customer_id": self.next_case,
            "source": SOURCE,
            "conversation_key": f"{SOURCE}:t{self.next_case}",
            "card_channel": self.config.departments[department].channel,
            "card_ts": f"1700000000.{self.next_case:06d}",
            "root_cause": None,
            "escalations": 0,
            "pauses": [],
            "created_at": started_at,
            "updated_at": answered_at or started_at,
            "claimed_at": started_at if owner else None,
            "first_response_at": answered_at,
            "last_response_at": answered_at,
            "resolved_at": None,
        }
        self.next_case += 1
        return row

    def write(self, cases: list[dict[str, Any]], clocks: list[dict[str, Any]]) -> None:
        """Core `insert()` executemany in chunks: no ORM identity map, no app events."""
        customers = [
            {
                "id": c["customer_id"],
                "name": f"Customer {c['customer_id']}",
                "email": None,
                "tier": "standard",
                "created_at": c["created_at"],
            }
            for c in cases
        ]
        with self.engine.begin() as conn:
            for table, rows in (
                (Customer.__table__, customers),
                (Case.__table__, cases),
                (SlaClock.__table__, clocks),
            ):
                for i in range(0, len(rows), CHUNK):
                    conn.execute(insert(table), rows[i : i + CHUNK])  # type: ignore[arg-type]
        if self.engine.dialect.name == "postgresql":
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for table in ("customers", "cases", "sla_clocks"):
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                            f" (SELECT max(id) FROM {table}))"
                        )
                    )
                conn.execute(text("VACUUM ANALYZE customers, cases, sla_clocks"))

    def open_cases(self, count: int, due: int) -> list[int]:
        """`count` open cases, `due` of them with exactly one warning due at NOW.

        The rest are a realistic spread: opened up to a resolution window ago, most
        answered (first response stopped), earlier warnings already sent, every
        pending threshold after NOW. Returns the due clocks' ids.
        """
        cases, clocks, due_ids = [], [], []
        for i in range(count):
            priority = self.rng.choice(PRIORITIES)
            department = self.rng.choice(list(self.config.departments))
            if i < due:
                warn = self.offsets(priority, department, FR)[0][1]
                started = NOW - warn - timedelta(seconds=self.rng.uniform(0, 15))
                case = self.case(priority, department, started, answered_at=None)
                due_ids.append(self.next_clock)
                clocks.append(self.clock(case, FR, started, sent_before=started))
                clocks.append(self.clock(case, RES, started, sent_before=started))
            else:
                res_window = self.offsets(priority, department, RES)[-1][1]
                started = NOW - res_window * self.rng.random()
                answered = None
                if self.rng.random() < 0.7:
                    answered = started + (NOW - started) * self.rng.random()
                case = self.case(priority, department, started, answered_at=answered)
                clocks.append(self.clock(case, FR, started, NOW, stopped_at=answered))
                clocks.append(self.clock(case, RES, started, NOW))
            cases.append(case)
        self.write(cases, clocks)
        return due_ids


# --- part 1: one sweep over N open cases ---------------------------------------------


@dataclass(frozen=True)
class Sample:
    fired: int
    statements: int
    db_ms: float
    wall_ms: float
    calls: list[tuple[str, float]]


def bench_config() -> CasebotConfig:
    """The example config on round-the-clock SLAs: seeded distances stay exact."""
    return load_config(EXAMPLE).model_copy(update={"sla": default_sla()})


def one_sweep(db: Database, timer: DbTimer, config: CasebotConfig) -> Sample:
    """One unit of work as the worker runs it: a fresh session, sweep, commit."""
    with timer.measure() as calls:
        t0 = time.perf_counter()
        with db.session() as session:
            result = sweep(session, now=NOW, config=config)
        wall = time.perf_counter() - t0
    return Sample(
        fired=result.reminders,
        statements=sum(1 for name, _ in calls if name != "COMMIT"),
        db_ms=sum(d for _, d in calls) * 1000,
        wall_ms=wall * 1000,
        calls=list(calls),
    )


def restore(engine: Engine, due: list[tuple[int, datetime]], *, due_again: bool) -> None:
    """Undo a sweep between repeats, so every repeat finds the same 100 due clocks.

    Reminder, audit and outbox rows are the sweep's output; dropping them keeps the
    tables as seeded, and on PostgreSQL a VACUUM clears the dead index entries the
    updates left, which would otherwise make each repeat scan more. After the last
    repeat the clocks stay as the sweep left them (warned, next instant in the
    future), ready for the next, larger size.
    """
    with engine.begin() as conn:
        for table in (Reminder.__table__, Event.__table__, Outbox.__table__):
            conn.execute(delete(table))
        if due_again:
            conn.execute(
                update(SlaClock.__table__)  # type: ignore[arg-type]
                .where(SlaClock.__table__.c.id == bindparam("cid"))  # type: ignore[attr-defined]
                .values(sent=[], next_due_at=bindparam("due")),
                [{"cid": cid, "due": at} for cid, at in due],
            )
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM sla_clocks, reminders, events, outbox"))


def due_now(engine: Engine) -> list[tuple[int, datetime]]:
    with engine.connect() as conn:
        c = SlaClock.__table__.c  # type: ignore[attr-defined]
        rows = conn.execute(select(c.id, c.next_due_at).where(c.next_due_at <= NOW)).all()
    return [(r[0], r[1]) for r in rows]


def explain(engine: Engine, calls_sql: tuple[str, Any]) -> list[str]:
    """The plan of the claim query exactly as the sweep sent it (rolled back on PG,
    where EXPLAIN ANALYZE of `FOR UPDATE` really takes the row locks)."""
    sql, params = calls_sql
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params).all()
            lines = [str(r[-1]) for r in rows]
        else:
            rows = conn.exec_driver_sql(
                f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) {sql}", params
            ).all()
            lines = [str(r[0]) for r in rows]
        conn.rollback()
    return lines


class ClaimCapture:
    """Remembers the statement that reads due clocks, so EXPLAIN shows the real one."""

    def __init__(self, engine: Engine) -> None:
        self.sql: tuple[str, Any] | None = None
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _c: Any, _cur: Any, statement: str, params: Any, *_: Any) -> None:
        if self.sql is None and "ORDER BY sla_clocks.next_due_at" in statement:
            self.sql = (statement, params)


def round_trip_ms(engine: Engine, n: int = 300) -> float:
    """Median `SELECT 1` through the same engine: the floor under every statement, so a
    reader can tell per-statement cost from machine load (the bench box is shared)."""
    times = []
    with engine.connect() as conn:
        for _ in range(n):
            t0 = time.perf_counter()
            conn.exec_driver_sql("SELECT 1").all()
            times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def scaling(backend: str) -> list[str]:
    out = []
    with database(backend) as url:
        db = Database(url)
        config = bench_config()
        seeder = Seeder(db.engine, config, random.Random(7))
        timer, capture = DbTimer(db.engine), ClaimCapture(db.engine)
        db.ping()
        print(f"{backend}: SELECT 1 round trip {round_trip_ms(db.engine):.3f} ms (median)")
        seeded = 0
        for size in SIZES:
            t0 = time.perf_counter()
            seeder.open_cases(size - seeded, DUE)
            seeded = size
            seed_s = time.perf_counter() - t0
            due = due_now(db.engine)
            assert len(due) == DUE, f"{len(due)} clocks due, want {DUE}"
            samples = []
            for r in range(REPEATS):
                samples.append(one_sweep(db, timer, config))
                assert samples[-1].fired == DUE, f"fired {samples[-1].fired}, want {DUE}"
                restore(db.engine, due, due_again=r < REPEATS - 1)
            db_ms = sorted(s.db_ms for s in samples)
            wall = sorted(s.wall_ms for s in samples)
            line = (
                f"sweep {backend:10s} {size:>7,} open  {DUE} fired"
                f"  db {statistics.median(db_ms):6.1f} ms (min {db_ms[0]:.1f}, max {db_ms[-1]:.1f})"
                f"  wall {statistics.median(wall):6.1f} ms (max {wall[-1]:.1f})"
                f"  {samples[0].statements} statements  [seeded in {seed_s:.1f}s]"
            )
            print(line, flush=True)
            out.append(line)
        print(f"  where the db time goes ({backend}, {SIZES[-1]:,} open, last repeat):")
        by: dict[str, list[float]] = defaultdict(list)
        for name, d in samples[-1].calls:
            by[name].append(d)
        for name, ds in sorted(by.items(), key=lambda kv: -sum(kv[1])):
            print(f"    {name:26s} x{len(ds):<4d} {sum(ds) * 1000:7.2f} ms")
        restore(db.engine, due, due_again=True)
        assert capture.sql is not None
        print(f"  claim query plan ({backend}, {SIZES[-1]:,} open, {DUE} due):")
        for plan_line in explain(db.engine, capture.sql):
            print(f"    {plan_line}")
        db.dispose()
    return out


# --- part 2: lateness over 1,000 reminders -------------------------------------------


def seed_lateness(seeder: Seeder, start: datetime, end: datetime) -> int:
    """Open cases whose thresholds in (start, end] number exactly LATE_REMINDERS.

    Each case picks a random instant in the window and one of its first-response
    thresholds to fall on it; the clocks' other thresholds land where they land (in
    the window or not), counted with the app's model, and cases are drawn until the
    total is exact. Everything at or before `start` counts as already sent.
    """
    rng, cases, clocks, total = seeder.rng, [], [], 0
    while total < LATE_REMINDERS:
        priority = rng.choice(PRIORITIES)
        department = rng.choice(list(seeder.config.departments))
        steps = seeder.offsets(priority, department, FR)
        instant = start + (end - start) * (1 - rng.random())
        started = instant - rng.choice(steps)[1]
        in_window = sum(
            start < started + off <= end
            for name in (FR, RES)
            for _, off in seeder.offsets(priority, department, name)
        )
        if total + in_window > LATE_REMINDERS:
            continue
        mark = (seeder.next_case, seeder.next_clock)
        case = seeder.case(priority, department, started, answered_at=None)
        new = [seeder.clock(case, name, started, sent_before=start) for name in (FR, RES)]
        if any(c["next_due_at"] is not None and c["next_due_at"] <= start for c in new):
            seeder.next_case, seeder.next_clock = mark
            continue
        cases.append(case)
        clocks += new
        total += in_window
    seeder.write(cases, clocks)
    return len(cases)


def lateness(backend: str) -> str:
    with database(backend) as url:
        settings = Settings(database_url=url)
        deps = Deps(
            settings=settings,
            config=bench_config(),
            db=Database(url),
            time=ManualTime(NOW),
        )
        interval = timedelta(seconds=settings.sla_sweep_seconds)
        end = NOW + interval * LATE_TICKS
        n_cases = seed_lateness(Seeder(deps.db.engine, deps.config, random.Random(11)), NOW, end)
        took: dict[datetime, float] = {}
        time_source = deps.time
        assert isinstance(time_source, ManualTime)
        for _ in range(LATE_TICKS):
            now = time_source.advance(interval)
            t0 = time.perf_counter()
            while sweep_once(deps).looked_at >= 500:
                pass
            took[now] = time.perf_counter() - t0
        late, done = [], []
        with deps.db.session() as session:
            for reminder in session.scalars(select(Reminder)).all():
                row = session.get(SlaClock, reminder.clock_id)
                case = session.get(Case, reminder.case_id)
                assert row is not None and case is not None
                model = case_clocks.model(row, case, deps.config)
                assert model is not None
                at = {t.name: t.at for t in model.thresholds()}[reminder.threshold]
                assert at is not None and NOW < at <= end
                late.append((reminder.at - at).total_seconds())
                done.append(late[-1] + took[reminder.at])
            n = session.scalar(select(func.count()).select_from(Reminder))
        assert n == LATE_REMINDERS, f"{n} reminders fired, want {LATE_REMINDERS}"
        deps.db.dispose()
    q, qd = statistics.quantiles(late, n=100), statistics.quantiles(done, n=100)
    line = (
        f"lateness {backend:10s} {n} reminders on {n_cases} cases, sweep every"
        f" {interval.total_seconds():g} s for {LATE_TICKS} sweeps:"
        f"  fired-due p50 {q[49]:.1f} s  p99 {q[98]:.1f} s  max {max(late):.1f} s"
        f"  | +sweep wall p50 {qd[49]:.2f} s  p99 {qd[98]:.2f} s"
        f"  (sweep wall max {max(took.values()) * 1000:.0f} ms)"
    )
    print(line, flush=True)
    return line


if __name__ == "__main__":
    for backend in ("sqlite", "postgresql"):
        scaling(backend)
    for backend in ("sqlite", "postgresql"):
        lateness(backend)
