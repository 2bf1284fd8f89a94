"""The project's own processes against the Slack stand-in, for the delivery fault tests
and `bench/outbox.py`: a web process and outbox workers in one process group (so a
kill -9 takes them all, as a crashed host would), posts sent the way a source sends
them (signed, retried until accepted), and what came out counted per outbox key."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
from sqlalchemy import create_engine, text

from bot.demo.standin import SlackStandIn
from tests.conftest import EXAMPLE_CONFIG, INGEST_SECRET, ROOT, sample_post, sign
from tests.support.processes import clean_env, free_port

CHANNELS = {
    "C0SUPPORT01": "My order never arrived",
    "C0BILLING01": "Refund please, I was charged twice",
    "C0LOGISTIC1": "Where is my parcel",
}
SLACK_KINDS = ("card", "timeline", "card_moved", "draft_decided", "dm", "reminders", "message")


def post_for(n: int) -> dict[str, object]:
    """Post `n`, routed to the `n % 3`-th department's channel, its text its own."""
    text = list(CHANNELS.values())[n % len(CHANNELS)]
    return sample_post(n, f"{text} (order {n:05d})")


@dataclass
class Casebot:
    """Web and workers of one install; `root` is the checkout they run from (another
    tree, for a before/after benchmark)."""

    tmp: Path
    slack: SlackStandIn
    db_url: str
    env_extra: dict[str, str] = field(default_factory=dict)
    root: Path = ROOT
    python: str = sys.executable
    port: int = field(default_factory=free_port)
    group: int | None = None
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    codes: list[int] = field(default_factory=list)
    metrics_ports: list[int] = field(default_factory=list)
    startups: list[float] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        base = dict(
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET="s",
            INGEST_SECRET=INGEST_SECRET,
            SLACK_API_URL=self.slack.api_url,
            DATABASE_URL=self.db_url,
            CASEBOT_CONFIG=str(EXAMPLE_CONFIG),
            PORT=str(self.port),
            WEB_CONCURRENCY="1",
            LOG_LEVEL="WARNING",
        )
        return clean_env(**{**base, **self.env_extra, **extra})

    def _start(self, args: list[str], **extra: str) -> subprocess.Popen[bytes]:
        log: IO[bytes] = (self.tmp / f"{args[0]}-{len(self.procs)}.log").open("ab")
        kw: dict[str, object] = {"process_group": 0 if self.group is None else self.group}
        proc = subprocess.Popen(
            [self.python, "-m", "bot", *args],
            cwd=self.root,
            env=self.env(**extra),
            stdout=log,
            stderr=log,
            **kw,  # type: ignore[arg-type]
        )
        if self.group is None:
            self.group = proc.pid
        self.procs.append(proc)
        return proc

    def migrate(self) -> None:
        subprocess.run(
            [self.python, "-m", "bot", "migrate"],
            cwd=self.root,
            env=self.env(),
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self, workers: int = 1, **extra: str) -> None:
        """The web process, then `workers` outbox workers (each serving /metrics)."""
        self._start(["web"])
        self.metrics_ports = []
        for _ in range(workers):
            port = free_port()
            self.metrics_ports.append(port)
            self._start(["worker"], METRICS_PORT=str(port), **extra)
        took = time.monotonic()
        self.wait_healthy()
        self.startups.append(time.monotonic() - took)

    def wait_healthy(self, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"web did not come up:\n{self.log_tail()}"
            time.sleep(0.1)

    def log_tail(self, lines: int = 15) -> str:
        return "\n".join(
            f"{log.name}: {line[:300]}"
            for log in sorted(self.tmp.glob("*.log"))
            for line in log.read_text(errors="replace").splitlines()[-lines:]
        )

    def kill9(self) -> None:
        """SIGKILL to the whole process group: web, its gunicorn workers, the workers."""
        if self.group is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.group, signal.SIGKILL)
        for proc in self.procs:
            proc.wait(timeout=10)
        self.procs, self.group = [], None

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.kill9()

    def ingest(self, n: int, *, until: float) -> int:
        """Send post `n` until it is accepted (as a source retries); its last answer."""
        body = json.dumps(post_for(n)).encode()
        headers = {"Content-Type": "application/json", "X-Casebot-Signature": sign(body)}
        while True:
            try:
                code = httpx.post(
                    f"http://127.0.0.1:{self.port}/ingest/web",
                    content=body,
                    headers=headers,
                    timeout=10,
                ).status_code
                self.codes.append(code)
                if code < 300 or code in (400, 401, 413, 415):
                    return code
            except httpx.HTTPError:
                pass  # the web process is being killed or restarted
            assert time.monotonic() < until, f"post {n} was never accepted"
            time.sleep(0.2)

    def burst(self, numbers: range, *, seconds: float = 120) -> ThreadPoolExecutor:
        """Send the posts from 8 threads; the pool's threads finish once all were taken."""
        pool = ThreadPoolExecutor(max_workers=8)
        until = time.monotonic() + seconds
        for n in numbers:
            pool.submit(self.ingest, n, until=until)
        pool.shutdown(wait=False)
        return pool

    def pending(self) -> int:
        """Rows still owed to Slack (customer replies and acknowledgements aside)."""
        engine = create_engine(self.db_url)
        try:
            with engine.connect() as conn:
                kinds = ", ".join(f"'{k}'" for k in SLACK_KINDS)
                return int(
                    conn.execute(
                        text(
                            "SELECT count(*) FROM outbox"
                            f" WHERE status = 'pending' AND kind IN ({kinds})"
                        )
                    ).scalar_one()
                )
        finally:
            engine.dispose()

    def cases(self) -> int:
        engine = create_engine(self.db_url)
        try:
            with engine.connect() as conn:
                return int(conn.execute(text("SELECT count(*) FROM cases")).scalar_one())
        finally:
            engine.dispose()

    def wait_drained(self, seconds: float) -> float:
        """Seconds until nothing is owed to Slack."""
        start = time.monotonic()
        while self.pending():
            assert time.monotonic() - start < seconds, f"{self.pending()} rows still owed"
            time.sleep(0.25)
        return time.monotonic() - start

    def metrics(self) -> dict[str, float]:
        """The workers' counters, summed: `name{labels}` → value."""
        total: dict[str, float] = {}
        for port in self.metrics_ports:
            body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            for line in body.splitlines():
                if m := re.match(r"^(casebot_\w+_total(?:\{[^}]*\})?) (\S+)$", line):
                    total[m[1]] = total.get(m[1], 0.0) + float(m[2])
        return total


def cards(slack: SlackStandIn) -> int:
    """Top-level messages carrying a card key, in every department channel."""
    return sum(
        1
        for channel in CHANNELS
        for m in slack.channel(channel)
        if m.metadata and str(m.metadata["event_payload"]["key"]).startswith("card:")
    )


def doubled(slack: SlackStandIn) -> dict[str, int]:
    """Outbox keys on more than one message (cards, thread lines and DMs alike)."""
    return {key: n for key, n in slack.posted_keys().items() if n > 1}


def server_errors(codes: list[int]) -> list[int]:
    return [c for c in codes if c >= 500 and c != 503]


def running(bot: Casebot) -> Iterator[Casebot]:
    try:
        yield bot
    finally:
        bot.stop()
