"""`/case summary 30d` and `casebot report --cases` over a million cases.

    python -m bench.summary [--cases 1000000] [--db sqlite,postgresql] [--old DIR]

Bulk-loads 60 days of cases (4 departments, 4 sources; posts, SLA clocks, breach
reminders and department holds as the app leaves them) with COPY on PostgreSQL and
`executemany` on SQLite, then times the summary the slash command computes (3 runs,
and every SQL statement of the slowest run, with the `EXPLAIN` of the slowest one), and
the case export through a child process (rows/s and its peak memory, for a week and for
30 days: flat memory means the same peak for both). `--old DIR` also runs an older
checkout's summary and report on the same data (its indexes dropped, as it had none),
each in a child process with a time limit, and reports what it does.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url

from bench.common import EXAMPLE, PG_ADMIN
from storage.migrate import upgrade

T0 = datetime(2026, 9, 1, tzinfo=UTC)
DAYS = 60
NOW = T0 + timedelta(days=DAYS)
DEPARTMENTS = [("support", 50), ("billing", 20), ("logistics", 20), ("pr", 10)]
SOURCES = [("twitter", 40), ("email", 30), ("web", 20), ("mastodon", 10)]
PRIORITIES = [("normal", 60), ("high", 20), ("low", 10), ("urgent", 10)]
FIRST = {"urgent": 15, "high": 60, "normal": 240, "low": 1440}
RESOLVE = {"urgent": 240, "high": 1440, "normal": 4320, "low": 7200}
CAUSES = ["shipping-delay", "double-charge", "app-bug", "account-access", "product-question"]
OLA_MIN = 240
NEW_INDEXES = {
    "ix_cases_created_at": "cases (created_at)",
    "ix_cases_resolved_at": "cases (resolved_at)",
    "ix_reminders_threshold_at": "reminders (threshold, at)",
}
COLUMNS = {
    "customers": "id name email tier created_at",
    "cases": "id department status owner_id priority priority_reason tags customer_id source"
    " escalations pauses created_at updated_at claimed_at first_response_at resolved_at"
    " root_cause answered",
    "posts": "id source external_id case_id customer_id text url author_handle author_name"
    " extra posted_at received_at",
    "sla_clocks": "id case_id name run started_at stopped_at next_due_at due_at sent card_steps",
    "reminders": "id clock_id case_id threshold at",
    "holds": "id case_id department arrived started_at ended_at held_us budget_us",
}


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([k for k, _ in weighted], [w for _, w in weighted])[0]


def rows(n: int, seed: int = 11) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """(table, row) for `n` cases spread evenly over 60 days; naive UTC datetimes."""
    rng = random.Random(seed)
    customers = max(1, n // 10)
    for c in range(1, customers + 1):
        yield "customers", (c, f"Customer {c}", f"c{c}@example.com", "standard", _naive(T0))
    clock_id = reminder_id = hold_id = 0
    step = timedelta(days=DAYS) / n
    owners = [f"U0AGENT{i:03d}" for i in range(40)]
    for i in range(1, n + 1):
        opened = T0 + step * i
        dept, source, prio = (_pick(rng, x) for x in (DEPARTMENTS, SOURCES, PRIORITIES))
        fr = timedelta(minutes=rng.lognormvariate(3.4, 1.1))
        work = timedelta(minutes=rng.lognormvariate(5.5, 1.2))
        resolved = opened + fr + work
        is_open = resolved > NOW or rng.random() < 0.02
        kind = rng.random()
        answered, fr_at = "replied", opened + fr
        if kind < 0.05:
            answered, fr_at = "elsewhere", resolved
        elif kind < 0.10:
            answered, fr_at = "not_needed", None
        elif kind < 0.15:
            answered, fr_at = "unanswered", None
        if is_open:
            resolved_at = None
            if answered != "replied" or fr_at is None or fr_at > NOW:
                answered, fr_at = None, None
        else:
            resolved_at = resolved
        escalated = dept == "support" and rng.random() < 0.4
        chain = escalated and rng.random() < 0.25
        final = "billing" if escalated and not chain else dept
        owner = rng.choice(owners) if rng.random() < 0.8 else None
        yield (
            "cases",
            (
                i,
                final,
                "open" if resolved_at is None else "resolved",
                owner,
                prio,
                "",
                "[]",
                rng.randrange(1, customers + 1),
                source,
                (1 if escalated else 0) + (1 if chain else 0),
                "[]",
                _naive(opened),
                _naive(resolved_at or opened),
                None,
                _naive(fr_at),
                _naive(resolved_at),
                rng.choice(CAUSES) if resolved_at and rng.random() < 0.7 else None,
                answered,
            ),
        )
        yield (
            "posts",
            (
                i,
                source,
                f"x{i}",
                i,
                1 + i % customers,
                "My order never arrived",
                None,
                f"@c{i}",
                "",
                "{}",
                _naive(opened),
                _naive(opened),
            ),
        )
        end = resolved_at
        fr_due = opened + timedelta(minutes=FIRST[prio])
        fr_stop = fr_at or resolved_at
        clock_id += 1
        yield "sla_clocks", _clock(clock_id, i, "first_response", opened, fr_stop, fr_due)
        if (fr_stop or NOW) > fr_due:
            reminder_id += 1
            yield "reminders", (reminder_id, clock_id, i, "breach", _naive(fr_due))
        clock_id += 1
        res_due = opened + timedelta(minutes=RESOLVE[prio])
        yield "sla_clocks", _clock(clock_id, i, "resolution", opened, end, res_due)
        if (end or NOW) > res_due:
            reminder_id += 1
            yield "reminders", (reminder_id, clock_id, i, "breach", _naive(res_due))
        stints = [(dept, "opened", opened)]
        if escalated:
            moved = opened + timedelta(minutes=rng.uniform(5, 60))
            stints.append(("billing", "escalated", moved))
            clock_id += 1
            back = moved + timedelta(minutes=rng.lognormvariate(4.5, 1.0)) if chain else None
            stop = back or end
            due = moved + timedelta(minutes=OLA_MIN)
            yield "sla_clocks", _clock(clock_id, i, "ola:billing", moved, stop, due)
            if back:
                stints.append(("support", "escalated", back))
        for k, (where, how, start) in enumerate(stints):
            stop = stints[k + 1][2] if k + 1 < len(stints) else end
            if stop is not None and stop < start:
                stop = start
            held = None if stop is None else (stop - start) // timedelta(microseconds=1)
            budget = OLA_MIN * 60_000_000 if how == "escalated" and where == "billing" else None
            hold_id += 1
            yield "holds", (hold_id, i, where, how, _naive(start), _naive(stop), held, budget)


def _clock(
    cid: int, case: int, name: str, start: datetime, stop: datetime | None, due: datetime
) -> tuple[Any, ...]:
    pending = None if stop is not None else _naive(due)
    return (cid, case, name, 1, _naive(start), _naive(stop), pending, _naive(due), "[]", "[]")


def _naive(t: datetime | None) -> datetime | None:
    return None if t is None else t.astimezone(UTC).replace(tzinfo=None)


def _sqlite_value(v: Any) -> Any:
    return v.isoformat(sep=" ", timespec="microseconds") if isinstance(v, datetime) else v


def load(url: str, n: int) -> float:
    """Bulk-load `n` cases; returns seconds."""
    started = time.perf_counter()
    batches: dict[str, list[tuple[Any, ...]]] = {t: [] for t in COLUMNS}
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(make_url(url).database or "")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")

        def flush(table: str) -> None:
            cols = COLUMNS[table].split()
            sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
            conn.executemany(sql, [tuple(map(_sqlite_value, r)) for r in batches[table]])
            batches[table].clear()

        for table, row in rows(n):
            batches[table].append(row)
            if len(batches[table]) >= 50_000:
                flush(table)
        for table in COLUMNS:
            flush(table)
        conn.commit()
        conn.execute("ANALYZE")
        conn.close()
    else:
        import psycopg

        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn) as conn:
            copies = {}
            with conn.cursor() as cur:
                for table in COLUMNS:
                    cols = ", ".join(COLUMNS[table].split())
                    copies[table] = f"COPY {table} ({cols}) FROM STDIN"
                for table, row in rows(n):
                    batches[table].append(row)
                    if len(batches[table]) >= 50_000:
                        # All tables, in the order of their foreign keys.
                        for name in COLUMNS:
                            _copy(cur, copies[name], batches[name])
                for table in COLUMNS:
                    _copy(cur, copies[table], batches[table])
                for table in COLUMNS:
                    cur.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f" (SELECT COALESCE(MAX(id), 1) FROM {table}))"
                    )
            conn.commit()
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def _copy(cur: Any, sql: str, batch: list[tuple[Any, ...]]) -> None:
    with cur.copy(sql) as copy:
        for row in batch:
            copy.write_row(row)
    batch.clear()


class Statements:
    """Every statement an engine runs, with its time, while recording."""

    def __init__(self, engine: Engine) -> None:
        self.seen: list[tuple[float, str, Any]] = []
        self.on = False
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, stmt: str, params: Any, *_: Any) -> None:
        conn.info["bench_t"] = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, stmt: str, params: Any, *_: Any) -> None:
        if self.on:
            self.seen.append((time.perf_counter() - conn.info["bench_t"], stmt, params))


def explain(engine: Engine, stmt: str, params: Any) -> str:
    prefix = (
        "EXPLAIN (ANALYZE, BUFFERS) "
        if engine.dialect.name == "postgresql"
        else ("EXPLAIN QUERY PLAN ")
    )
    with engine.connect() as conn:
        found = conn.exec_driver_sql(prefix + stmt, params).all()
    if engine.dialect.name == "postgresql":
        return "\n".join(str(r[0]) for r in found)
    return "\n".join(f"{'  ' * (r[1] > 0)}{r[-1]}" for r in found)


def time_summary(url: str, period: str) -> dict[str, Any]:
    from bot import periods, summary
    from bot.slack import summary as text
    from config.load import load_config
    from storage.db import Database

    config = load_config(EXAMPLE)
    db = Database(url)
    recorder = Statements(db.engine)
    runs = []
    slowest: list[tuple[float, str, Any]] = []
    for _ in range(3):
        recorder.seen, recorder.on = [], True
        started = time.perf_counter()
        with db.read() as session:
            got = summary.compute(
                session, period=periods.parse(period, NOW), department=None, config=config, now=NOW
            )
            text.render(got, config)
        runs.append(time.perf_counter() - started)
        recorder.on = False
        if runs[-1] == max(runs):
            slowest = list(recorder.seen)
    worst = max(slowest, key=lambda s: s[0])
    plan = explain(db.engine, worst[1], worst[2])
    db.dispose()
    return {
        "period": period,
        "new": got.new,
        "seconds": sorted(runs),
        "statements": sorted(((round(t, 3), s.split("FROM")[0][:70]) for t, s, _ in slowest)),
        "slowest_sql": worst[1],
        "plan": plan,
    }


def export_child(url: str, since: str) -> None:
    """In a child process: stream the case export to /dev/null, print figures as JSON."""
    from bot import report
    from bot.deps import Deps
    from bot.timesource import ManualTime
    from config.load import load_config
    from config.settings import Settings
    from storage.db import Database

    settings = Settings(database_url=url)
    deps = Deps(settings=settings, config=load_config(EXAMPLE), db=Database(url))
    deps.time = ManualTime(NOW)
    started = time.perf_counter()
    with open(os.devnull, "w") as sink:
        n = report.write(
            report.case_rows(deps, since=since, now=NOW, progress=False),
            report.CASE_COLUMNS,
            "csv",
            sink,
        )
    took = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(json.dumps({"since": since, "rows": n, "seconds": took, "peak_mib": peak}))


def time_export(url: str, since: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.summary", "--export-child", url, since],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    got: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    got["rows_per_s"] = round(got["rows"] / got["seconds"])
    return got


OLD_SNIPPET = """
import json, resource, sys, time
from datetime import datetime, timedelta, UTC
from bot import report, summary
from bot.deps import Deps
from config.load import load_config
from config.settings import Settings
from storage.db import Database
url, what, config_path = sys.argv[1], sys.argv[2], sys.argv[3]
now = datetime.fromisoformat(sys.argv[4])
db = Database(url)
config = load_config(config_path)
started = time.perf_counter()
try:
    if what == "report":
        deps = Deps(settings=Settings(database_url=url), config=config, db=db)
        out = report.render(report.build(deps, since="30d", now=now), "csv")
    else:
        span = {"week": timedelta(days=7), "30d": timedelta(days=30)}[what]
        with db.session() as s:
            summary.compute(s, period=what, since=now - span, until=now, department=None,
                            config=config, now=now)
    result = "ok"
except Exception as exc:
    result = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(json.dumps({"what": what, "seconds": round(time.perf_counter() - started, 1),
                  "peak_mib": peak, "result": result}))
"""


def time_old(url: str, old: str, what: str, limit: float) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": old}
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", OLD_SNIPPET, url, what, EXAMPLE, NOW.isoformat()],
            capture_output=True,
            text=True,
            env=env,
            cwd=old,
            timeout=limit,
        )
    except subprocess.TimeoutExpired:
        return {"what": what, "result": f"still running after {limit:.0f} s (stopped)"}
    lines = done.stdout.strip().splitlines()
    if not lines:
        return {"what": what, "result": f"exit {done.returncode}: {done.stderr.strip()[-200:]}"}
    got: dict[str, Any] = json.loads(lines[-1])
    got["wall"] = round(time.perf_counter() - started, 1)
    return got


def _indexes(url: str, create: bool) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        for name, on in NEW_INDEXES.items():
            sql = f"CREATE INDEX IF NOT EXISTS {name} ON {on}" if create else f"DROP INDEX {name}"
            conn.execute(text(sql))
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))
    engine.dispose()


def _database(backend: str, tmp: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp}/summary.db"
    name = "casebot_bench_summary"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--old", default=None, help="an older checkout to compare with")
    parser.add_argument("--old-limit", type=float, default=600.0, help="seconds per old run")
    parser.add_argument("--export-child", nargs=2, metavar=("URL", "SINCE"))
    parser.add_argument("--sqlite-file", default=None, help="reuse (or keep) this SQLite file")
    args = parser.parse_args()
    if args.export_child:
        export_child(*args.export_child)
        return
    for backend in args.db.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            reuse = backend == "sqlite" and args.sqlite_file and os.path.exists(args.sqlite_file)
            url = f"sqlite:///{args.sqlite_file}" if reuse else _database(backend, tmp)
            upgrade(url)
            loaded = 0.0 if reuse else load(url, args.cases)
            print(
                f"\n## {backend}: {args.cases:,} cases over {DAYS} days, loaded in {loaded:.0f} s"
            )
            if args.old:
                _indexes(url, create=False)
                for what in ("week", "30d", "report"):
                    got_old = time_old(url, args.old, what, args.old_limit)
                    print("old", json.dumps(got_old), flush=True)
                _indexes(url, create=True)
            for period in ("30d", "week"):
                got = time_summary(url, period)
                plan = got.pop("plan")
                sql = got.pop("slowest_sql")
                print("summary", json.dumps(got), flush=True)
                if period == "30d":
                    print("slowest statement:\n" + sql + "\nplan:\n" + plan)
            for since in ("7d", "30d"):
                print("export", json.dumps(time_export(url, since)), flush=True)
            if backend == "postgresql":
                _drop(url)


def _drop(url: str) -> None:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {make_url(url).database} WITH (FORCE)"))
    admin.dispose()


if __name__ == "__main__":
    main()
