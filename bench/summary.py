"""`/case summary 30d` and `casebot report --cases` over a million cases.

    python -m bench.summary [--cases 1000000] [--db sqlite,postgresql] [--keep NAME]
                            [--check] [--old DIR]

Bulk-loads 60 days of cases (`bench.summary_data`), folds them into the summary's
rollup as the worker does (timed), then times the summary the slash command computes
(3 runs, every SQL statement of the slowest run, and the `EXPLAIN` of the slowest
one), the same with cases changed since the last fold (read live, as between two
folds), and the case export through a child process (rows/s and its peak memory, for a
week and for 30 days: flat memory means the same peak for both). Each figure carries
the load average of the shared machine when it was taken.

`--keep NAME` keeps the loaded databases (PostgreSQL database NAME, SQLite file
NAME.db in the temp directory) and reuses them next time when they hold the same
number of cases. `--check` also computes every rolled-up figure with the reference
queries and says whether they are equal (and how long the reference took). `--old DIR`
runs an older checkout's summary and report on the same data, each in a child process
with a time limit.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url

from bench.common import EXAMPLE, PG_ADMIN
from bench.summary_data import DAYS, NOW, load
from bench.summary_old import indexes, time_old
from storage.migrate import upgrade

ASKED = NOW - timedelta(hours=9, minutes=23, seconds=13)
"""When the summary is asked: mid-afternoon, so a window has a partial day at each end
(read live), as `/case summary 30d` has; at midnight it would have none."""
TOUCHED = 2000
"""Cases changed after the fold, for the summary between two folds."""


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
    runs, cpu = [], []
    slowest: list[tuple[float, str, Any]] = []
    server = _backend(db)
    for _ in range(3):
        recorder.seen, recorder.on = [], True
        started, used = time.perf_counter(), time.process_time() + _cpu(server)
        with db.read() as session:
            window = periods.parse(period, ASKED)
            got = summary.compute(session, period=window, department=None, config=config, now=ASKED)
            text.render(got, config)
        runs.append(time.perf_counter() - started)
        cpu.append(time.process_time() + _cpu(server) - used)
        recorder.on = False
        if runs[-1] == max(runs):
            slowest = list(recorder.seen)
    worst = max(slowest, key=lambda s: s[0])
    plan = explain(db.engine, worst[1], worst[2])
    db.dispose()
    return {
        "period": period,
        "new": got.new,
        "seconds": [round(r, 3) for r in sorted(runs)],
        "cpu_s": [round(c, 3) for c in sorted(cpu)],
        "load": load_average(),
        "statements": sorted(((round(t, 3), " ".join(s.split())[:90]) for t, s, _ in slowest)),
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
    db = Database(url)
    deps = Deps(settings=settings, config=load_config(EXAMPLE), db=db)
    deps.time = ManualTime(NOW)
    server = _backend(db)
    server_cpu, cpu = _cpu(server), time.process_time()
    started = time.perf_counter()
    with open(os.devnull, "w") as sink:
        n = report.write(
            report.case_rows(deps, since=since, now=NOW, progress=False),
            report.CASE_COLUMNS,
            "csv",
            sink,
        )
    took = time.perf_counter() - started
    used = time.process_time() - cpu + _cpu(server) - server_cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    figures = {"since": since, "rows": n, "seconds": took, "cpu_s": round(used, 2)}
    print(json.dumps({**figures, "peak_mib": peak, "load": load_average()}))


def _backend(db: Any) -> int | None:
    """The PostgreSQL server process the export will use (the pool's one connection)."""
    if db.is_sqlite:
        return None
    with db.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def _cpu(pid: int | None) -> float:
    """CPU seconds a local process has used (user + system), from /proc."""
    if pid is None:
        return 0.0
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_export(url: str, since: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.summary", "--export-child", url, since],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    got: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    got["rows_per_s"] = round(got["rows"] / got["seconds"])
    # What one idle core would do: rows per CPU second, client and database server.
    got["rows_per_cpu_s"] = round(got["rows"] / max(got.pop("cpu_s"), 1e-9))
    return got


def load_average() -> str:
    """The shared machine's load (1, 5, 15 min), to read each figure against."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def fold(url: str) -> dict[str, Any]:
    """Fold every stale case into the rollup, as the worker does (bigger batches)."""
    from storage.db import Database
    from storage.rollup import refresh

    db = Database(url)
    started, n = time.perf_counter(), 0
    while True:
        with db.session() as session:
            done = refresh.refresh(session, limit=50_000)
        n += done
        if not done:
            break
    took = time.perf_counter() - started
    # What autovacuum (PostgreSQL) and `PRAGMA optimize` (SQLite) would do next: the
    # planner's statistics of the emptied marks.
    with db.engine.connect() as conn:
        if db.is_sqlite:
            conn.exec_driver_sql("ANALYZE")
        else:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE summary_stale, case_facts, hold_facts, summary_hist"
            )
    db.dispose()
    return {"cases": n, "seconds": round(took, 1), "load": load_average()}


def touch(url: str, n: int) -> None:
    """Change `n` cases spread over the 30 days (reassign them to their department: the
    triggers mark them stale, the figures stay the same)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        total = conn.execute(text("SELECT max(id) FROM cases")).scalar_one()
        step = max(1, total // 2 // n)
        conn.execute(
            text(
                "UPDATE cases SET department = department WHERE id > CAST(:half AS BIGINT)"
                " AND (id - CAST(:half AS BIGINT)) % CAST(:step AS BIGINT) = 0"
                " AND id <= CAST(:half AS BIGINT) + CAST(:step AS BIGINT) * CAST(:n AS BIGINT)"
            ),
            {"half": total // 2, "step": step, "n": n},
        )
    engine.dispose()


def check(url: str, period: str) -> dict[str, Any]:
    """Every rolled-up figure both ways: equal, and how long each took."""
    from bot import periods
    from storage.db import Database
    from storage.rollup.check import reference, rolled
    from storage.summary import Scope

    window = periods.parse(period, ASKED)
    scope = Scope(window.since, window.until, None)
    tags = ["app-bug", "shipping-delay"]
    db = Database(url)
    with db.read() as session:
        started = time.perf_counter()
        fast = rolled(session, scope, ASKED, tags)
        fast_s = time.perf_counter() - started
        started = time.perf_counter()
        slow = reference(session, scope, ASKED, tags)
        slow_s = time.perf_counter() - started
    db.dispose()
    return {
        "period": period,
        "equal": fast == slow,
        "rollup_s": round(fast_s, 3),
        "reference_s": round(slow_s, 3),
        "load": load_average(),
        **({} if fast == slow else {"rollup": repr(fast), "reference": repr(slow)}),
    }


def _cases(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM cases")).scalar_one())
    except Exception:
        return -1
    finally:
        engine.dispose()


def _database(backend: str, tmp: str, keep: str | None) -> str:
    """A database for the run: a fresh one, or the kept one named `keep` (created if
    missing; the caller decides whether its data can be reused)."""
    if backend == "sqlite":
        path = os.path.join(tempfile.gettempdir(), f"{keep}.db") if keep else f"{tmp}/summary.db"
        return f"sqlite:///{path}"
    name = keep or "casebot_bench_summary"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not keep or exists.first() is None:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)


def _fresh(url: str) -> None:
    """Empty a kept database whose data does not fit (another size)."""
    if url.startswith("sqlite"):
        path = make_url(url).database or ""
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        return
    name = make_url(url).database
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--keep", default=None, metavar="NAME", help="keep and reuse the data")
    parser.add_argument("--check", action="store_true", help="compare with the reference")
    parser.add_argument("--no-export", action="store_true", help="skip the export timings")
    parser.add_argument("--old", default=None, help="an older checkout to compare with")
    parser.add_argument("--old-limit", type=float, default=600.0, help="seconds per old run")
    parser.add_argument("--export-child", nargs=2, metavar=("URL", "SINCE"))
    args = parser.parse_args()
    if args.export_child:
        export_child(*args.export_child)
        return
    for backend in args.db.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            url = _database(backend, tmp, args.keep)
            reuse = args.keep is not None and _cases(url) == args.cases
            if args.keep and not reuse:
                _fresh(url)
            upgrade(url)
            loaded = 0.0 if reuse else load(url, args.cases)
            how = "reused" if reuse else f"loaded in {loaded:.0f} s"
            print(f"\n## {backend}: {args.cases:,} cases over {DAYS} days, {how}", flush=True)
            print("fold", json.dumps(fold(url)), flush=True)
            if args.old:
                indexes(url, create=False)
                for what in ("week", "30d", "report"):
                    got_old = time_old(url, args.old, what, args.old_limit)
                    print("old", json.dumps(got_old), flush=True)
                indexes(url, create=True)
            for period in ("30d", "week"):
                got = time_summary(url, period)
                plan = got.pop("plan")
                sql = got.pop("slowest_sql")
                print("summary", json.dumps(got), flush=True)
                if period == "30d":
                    print("slowest statement:\n" + sql + "\nplan:\n" + plan, flush=True)
            if args.check:
                for period in ("30d", "week"):
                    print("check", json.dumps(check(url, period)), flush=True)
            touch(url, TOUCHED)
            got = time_summary(url, "30d")
            got.pop("plan"), got.pop("slowest_sql")
            print(f"summary with {TOUCHED} cases changed since the fold", json.dumps(got))
            if args.check:
                print("check", json.dumps(check(url, "30d")), flush=True)
            print("fold", json.dumps(fold(url)), flush=True)
            if not args.no_export:
                for since in ("7d", "30d"):
                    print("export", json.dumps(time_export(url, since)), flush=True)
            if backend == "postgresql" and not args.keep:
                _drop(url)


def _drop(url: str) -> None:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {make_url(url).database} WITH (FORCE)"))
    admin.dispose()


if __name__ == "__main__":
    main()
