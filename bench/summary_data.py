"""The million cases `bench.summary` times: 60 days of cases (4 departments, 4 sources;
posts, SLA clocks, breach reminders and department holds as the app leaves them),
generated from a seed and bulk-loaded with COPY on PostgreSQL and `executemany` on
SQLite."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import make_url

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
