"""How many posts per second the production web process accepts, against bare inserts.

Sixteen clients (threads, one keep-alive connection each, as an integration's pool
would hold) send signed `POST /ingest/twitter` to Casebot served as `casebot web` runs
it (`bench.serving`: gunicorn, 2 workers x 8 threads, loopback), and the same posts to
the baseline served the same way: one `INSERT` of a post-sized row and its `COMMIT` per
request, in the same database. Every post is new (a new thread, so a new case). The
phases alternate A/B/A/B in one run, so the ratio compares the two under the same load
on this shared machine. Bodies and signatures are made before a phase starts, so the
clients spend their time sending.

Run: `python -m bench.ingest [POSTS_PER_PHASE] [sqlite|postgresql]` (default 2,400, both).
Prints posts/s, p50/p99/max per request, the ratio, and the load average.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import create_engine, text

from bench.common import database
from bench.serving import INGEST_SECRET, load, served, worker
from bot.demo.standin import SlackStandIn
from handlers.channels.base import sign

POSTS = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 2400
BACKENDS = [a for a in sys.argv[1:] if a in ("sqlite", "postgresql")] or ["sqlite", "postgresql"]
CLIENTS = 16
ROUNDS = 2


@dataclass
class Phase:
    label: str
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds


def bodies(tag: str, count: int) -> Iterator[tuple[bytes, dict[str, str]]]:
    for i in range(count):
        body = json.dumps(
            {
                "id": f"{tag}-{i}",
                "text": f"My order {i} never arrived, please refund",
                "author": {"id": f"{tag}a{i}", "handle": f"@c{i % 500}", "followers": i},
                "conversation_id": f"{tag}t{i}",
            }
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Casebot-Signature": sign(INGEST_SECRET, body),
        }
        yield body, headers


def phase(label: str, base: str, path: str, tag: str) -> Phase:
    """POSTS posts from CLIENTS clients started together; each waits for its 202."""
    work = list(bodies(tag, POSTS))
    host = urlsplit(base)
    start = threading.Barrier(CLIENTS + 1)
    results: list[list[float]] = [[] for _ in range(CLIENTS)]
    errors: list[str] = []

    def client(k: int) -> None:
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        mine = work[k::CLIENTS]
        start.wait()
        for body, headers in mine:
            t0 = time.perf_counter()
            conn.request("POST", path, body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            results[k].append(time.perf_counter() - t0)
            if resp.status != 202:
                errors.append(f"{resp.status}")
        conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise RuntimeError(f"{label}: {len(errors)} answers were not 202: {errors[:5]}")
    return Phase(label, elapsed, [x for r in results for x in r])


def summary(phases: list[Phase]) -> tuple[float, str]:
    latencies = [x for p in phases for x in p.latencies]
    rate = len(latencies) / sum(p.seconds for p in phases)
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return rate, (
        f"{rate:,.0f} posts/s, p50 {q[49] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms,"
        f" max {max(latencies) * 1000:.0f} ms"
    )


def caught_up(url: str) -> tuple[int, float]:
    """How many cases wait for problem detection when a phase ends, and how long the
    worker takes to detect them all."""
    engine = create_engine(url)
    t0 = time.perf_counter()
    try:
        with engine.connect() as conn:
            waiting = queued = int(
                conn.execute(text("SELECT count(*) FROM detection_queue")).scalar_one()
            )
            while waiting:
                time.sleep(0.05)
                conn.rollback()
                waiting = int(
                    conn.execute(text("SELECT count(*) FROM detection_queue")).scalar_one()
                )
        return queued, time.perf_counter() - t0
    finally:
        engine.dispose()


def count(url: str, table: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def bench(backend: str) -> str:
    slack = SlackStandIn().start()
    with database(backend) as url, tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "web.log")
        with (
            served("casebot", url, slack.api_url, log) as (app, _),
            served("bare-ingest", url, slack.api_url, log) as (bare, _),
            worker(url, slack.api_url, log),
        ):
            # One warm-up post each: connections, first-request imports.
            phase("warm", app, "/ingest/twitter", "warm-app")
            phase("warm", bare, "/", "warm-bare")
            runs: dict[str, list[Phase]] = {"bare": [], "casebot": []}
            lags: list[float] = []
            for r in range(ROUNDS):
                for label, base, path in (
                    ("bare", bare, "/"),
                    ("casebot", app, "/ingest/twitter"),
                ):
                    p = phase(label, base, path, f"{label}{r}")
                    runs[label].append(p)
                    detection = ""
                    if label == "casebot":
                        queued, lag = caught_up(url)
                        lags.append(lag)
                        detection = f", {queued:,} cases left to detect, done in {lag:.1f} s"
                    print(
                        f"  {backend} round {r + 1} {label:8s} {p.rate:7,.0f} posts/s"
                        f"  (load {load()}){detection}",
                        flush=True,
                    )
        stored = count(url, "posts")
        bare_rate, bare_line = summary(runs["bare"])
        app_rate, app_line = summary(runs["casebot"])
        expect = (ROUNDS + 1) * POSTS
        assert stored == expect, f"{stored} posts stored, {expect} got a 202"
    slack.stop()
    return (
        f"ingest {backend}: casebot {app_line} | bare inserts+commits {bare_line}"
        f" | ratio {app_rate / bare_rate:.3f} (load {load()})"
        f" | problem detection done {max(lags):.1f} s after the last 202"
    )


def main() -> None:
    print(f"ingest: {CLIENTS} clients, {POSTS} posts per phase, load {load()}", flush=True)
    lines = [bench(b) for b in BACKENDS]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
