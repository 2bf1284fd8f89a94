"""Peak memory of `casebot serve` with 100k open cases while it sweeps, against bare Bolt.

`serve` (web and worker in one gunicorn worker, `bench.serving`) runs over a SQLite
database holding 100,000 open cases with their SLA clocks (seeded as `bench.sweep`
does, relative to now, 100 of them with a warning due), sweeping every 2 s and
delivering what the sweeps queue to a stand-in Slack, while a client asks for
`/case list open` and `/healthz` twice a second. The bare Bolt app of `bench.serving`
runs the same way (one gunicorn worker) beside it. The figure is the peak, over the
run, of the summed resident set of the whole process tree (gunicorn master and
worker), sampled every 100 ms from /proc.

`python -m bench.memory [SECONDS]` (default 30). `python -m bench.memory --trace`
prints where the memory of an interpreter that has imported and built the serve
stack and run one sweep over the cases sits, by top-level package (tracemalloc).
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench import sweep as seeding
from bench.ack import TimedStandIn, command_body, signed
from bench.common import database
from bench.serving import load, served

CASES = 100_000
SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1][0].isdigit() else 30.0
PAGE = os.sysconf("SC_PAGE_SIZE")


def tree_rss(root: int) -> dict[int, int]:
    """Bytes resident in `root` and each of its descendants (statm's resident pages)."""
    parents: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(stat.rsplit(")", 1)[1].split()[1])].append(int(entry.name))
    sizes, todo = {}, [root]
    while todo:
        pid = todo.pop()
        todo.extend(parents.get(pid, ()))
        try:
            sizes[pid] = int((Path("/proc") / str(pid) / "statm").read_text().split()[1]) * PAGE
        except OSError:
            continue
    return sizes


def seed(url: str) -> None:
    from sqlalchemy import create_engine

    seeding.NOW = datetime.now(UTC).replace(microsecond=0)
    engine = create_engine(url)
    seeder = seeding.Seeder(engine, seeding.bench_config(), random.Random(7))
    t0 = time.perf_counter()
    seeder.open_cases(CASES, seeding.DUE)
    print(f"  {CASES:,} open cases seeded in {time.perf_counter() - t0:.0f} s", flush=True)
    engine.dispose()


def watch(kind: str, url: str, slack: TimedStandIn, log: str) -> int:
    """Peak tree RSS of `kind` over SECONDS, with light traffic going on."""
    extra = {"WEB_CONCURRENCY": "1", "SLA_SWEEP_SECONDS": "2"}
    with served(kind, url, slack.api_url, log, **extra) as (base, pid):
        stop = threading.Event()

        def traffic() -> None:
            with httpx.Client(timeout=10) as http:
                while not stop.is_set():
                    response_url, _ = slack.expect()
                    body = command_body("list open", "U0BENCH001", response_url)
                    http.post(base + "/slack/events", content=body, headers=signed(body))
                    http.get(base + "/healthz")
                    stop.wait(0.5)

        client = threading.Thread(target=traffic)
        client.start()
        peak, parts, end = 0, {}, time.monotonic() + SECONDS
        while time.monotonic() < end:
            sizes = tree_rss(pid)
            if sum(sizes.values()) > peak:
                peak, parts = sum(sizes.values()), sizes
            time.sleep(0.1)
        each = ", ".join(
            f"{'master' if p == pid else 'worker'} {n / 2**20:.1f}" for p, n in parts.items()
        )
        print(f"    {kind} at its peak: {each} MiB", flush=True)
        stop.set()
        client.join()
    return peak


def main() -> None:
    slack = TimedStandIn().start()
    try:
        with database("sqlite") as url, tempfile.TemporaryDirectory() as tmp:
            seed(url)
            log = os.path.join(tmp, "serve.log")
            peaks: dict[str, list[int]] = {"bare-bolt": [], "casebot-serve": []}
            for r in range(2):
                for kind in peaks:
                    peaks[kind].append(watch(kind, url, slack, log))
                    print(
                        f"  round {r + 1} {kind:14s} peak {peaks[kind][-1] / 2**20:6.1f} MiB"
                        f" (load {load()})",
                        flush=True,
                    )
            with open(log, encoding="utf-8", errors="replace") as f:
                bad = [line for line in f if '"level": "error"' in line or "Traceback" in line]
            errors = len(bad)
            for line in bad[:3]:
                print(f"  logged: {line.strip()[-600:]}", flush=True)
            app, bare = max(peaks["casebot-serve"]), max(peaks["bare-bolt"])
            print(
                f"memory: serve {app / 2**20:.1f} MiB peak, bare Bolt {bare / 2**20:.1f} MiB,"
                f" ratio {app / bare:.2f} ({CASES:,} open cases, {errors} errors logged,"
                f" load {load()})"
            )
    finally:
        slack.stop()


def trace() -> None:
    """Where an interpreter running the serve stack holds its memory."""
    tracemalloc.start(1)
    with database("sqlite") as url:
        seed(url)
        from bench.common import make_deps
        from bot.app import create_app
        from bot.worker import sweep_once

        deps = make_deps(url, TimedStandIn().start())
        create_app(deps)
        sweep_once(deps)
        snapshot = tracemalloc.take_snapshot()
    by_package: dict[str, int] = defaultdict(int)
    for stat in snapshot.statistics("filename"):
        name = stat.traceback[0].filename
        if "site-packages/" in name:
            package = name.split("site-packages/", 1)[1].split("/", 1)[0]
        elif "/lib/python3" in name:
            package = "(stdlib) " + name.split("/lib/python3", 1)[1].split("/")[1]
        else:
            package = "(app) " + os.path.relpath(name).split("/", 1)[0]
        by_package[package] += stat.size
    total = sum(by_package.values())
    print(f"traced: {total / 2**20:.1f} MiB in Python objects")
    for package, size in sorted(by_package.items(), key=lambda kv: -kv[1])[:15]:
        print(f"  {size / 2**20:6.1f} MiB  {package}")


if __name__ == "__main__":
    trace() if "--trace" in sys.argv else main()
