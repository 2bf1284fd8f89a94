"""How long Slack waits for Casebot's ack, and how long the user waits for the answer.

Slack gives an app 3 s to answer a slash command or a button click over HTTP, and
shows an error otherwise, so the ack is the figure that must hold under load. The app
runs the production way: `python -m bot web` (gunicorn, gthread, `WEB_CONCURRENCY=2`
workers of `WEB_THREADS=8`) in a child process, Bolt with `process_before_response`
off (the listener acks first, the HTTP answer leaves at `ack()`, the work and the
ephemeral answer follow on Bolt's listener threads). The only change is the bind
address: loopback instead of `0.0.0.0`, so the benchmark opens no port to the network.
Slack's Web API and every `response_url` are a `SlackStandIn` in this process.

Each interaction is a signed request sent with httpx on a fresh connection (as
separate Slack deliveries would arrive), timed on this side from just before sending
to the end of the HTTP answer (the ack), then until the ephemeral answer reaches the
stand-in's `response_url` (ack-to-answer). Commands: `/case help`, `/case list open`,
`/case show C-n`, `/case claim C-n` and a card's Claim button, each claim on a fresh
case opened beforehand through signed `POST /ingest/twitter`. Every command runs N
times from one client, then N times from 8 clients at once; each client waits for
its answer before sending the next, like a person would. A successful button click has
no ephemeral answer (the card changes through the outbox, whose worker is not running
here), so the button has an ack figure only; its claims are checked in the database.

Run: `python -m bench.ack [N] [sqlite|postgresql]` from the repository root (N defaults
to 200, both backends); `WEB_CONCURRENCY` / `WEB_THREADS` override the production 2 / 8.
"""

from __future__ import annotations

import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from bench.common import EXAMPLE, database
from bot.demo.signed import block_action, interactive_body, signed_headers
from bot.demo.signed import command_body as slack_command
from bot.demo.standin import SlackStandIn
from bot.slack import ids
from handlers.channels.base import sign

N = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 200
BACKENDS = [a for a in sys.argv[1:] if a in ("sqlite", "postgresql")] or ["sqlite", "postgresql"]
CLIENTS = 8
SLACK_ACK_LIMIT = 3.0
"""Slack's deadline for the HTTP answer to a command or an interaction."""
ANSWER_WAIT = 10.0
"""How long a client waits for the ephemeral answer before counting it as missing."""
SIGNING_SECRET = "bench-signing-secret"
INGEST_SECRET = "bench-ingest-secret"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# --- the Slack side -----------------------------------------------------------------


@dataclass
class Arrival:
    """One `response_url`: when the app's answer reached it, and what it said."""

    done: threading.Event
    at: float | None = None
    args: dict[str, Any] | None = None


class TimedStandIn(SlackStandIn):
    """The stand-in, stamping when each `response_url` POST arrives.

    Each interaction gets its own `response_url`, so its answer is found by name
    without scanning; the stamp is taken as the request arrives (headers read), on the
    same `perf_counter` clock the clients use.
    """

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: dict[str, Arrival] = {}
        self._names = itertools.count(1)

    def start(self) -> TimedStandIn:
        """Start, then widen the listen backlog from socketserver's 5 to 128.

        With 8 clients' answers landing at once while this process is busy, a backlog of
        5 overflows, the kernel drops the SYN and the app's `respond()` retries it after
        1 s: a stand-in artefact that showed up as 1 s answer tails. Calling `listen()`
        again on a listening socket resizes the backlog on Linux.
        """
        super().start()
        assert self._server is not None
        self._server.socket.listen(128)
        return self

    def expect(self) -> tuple[str, Arrival]:
        name = f"i{next(self._names)}"
        arrival = Arrival(threading.Event())
        with self._lock:
            self.arrivals[name] = arrival
        return self.response_url(name), arrival

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        at = time.perf_counter()
        super()._handle(req)
        if not req.path.startswith("/respond/"):
            return
        name = req.path.removeprefix("/respond/")
        with self._lock:
            arrival = self.arrivals.get(name)
            if arrival is None or arrival.at is not None:
                return
            arrival.args = next(a for n, a in reversed(self.responses) if n == name)
            arrival.at = at
        arrival.done.set()


def signed(body: str) -> dict[str, str]:
    """Headers as Slack sends them, on a fresh connection each (as separate deliveries)."""
    return {**signed_headers(body, secret=SIGNING_SECRET), "Connection": "close"}


def command_body(text_: str, user: str, response_url: str) -> str:
    return slack_command(text_, user=user, response_url=response_url, trigger_id="trig.bench")


def click_body(case_id: int, user: str, response_url: str) -> str:
    payload = block_action(
        ids.ActionId.CLAIM.value,
        ids.case_value(case_id),
        user=user,
        response_url=response_url,
        trigger_id="trig.bench",
        block_id="card",
        action_ts=f"{time.time():.6f}",
    )
    return interactive_body(payload)


# --- the app under test -------------------------------------------------------------


def serve() -> None:
    """Child process: the production `python -m bot web`, bound to loopback only.

    `run_web` hard-codes `0.0.0.0`; its gunicorn application is swapped for a subclass
    that changes just the bind after the production options are applied, so workers,
    threads, worker class, timeout and logging stay exactly what production runs.
    """
    from bot import server
    from bot.__main__ import main

    class Loopback(server._Gunicorn):
        def load_config(self) -> None:
            super().load_config()
            self.cfg.set("bind", f"127.0.0.1:{os.environ['PORT']}")

    server._Gunicorn = Loopback  # type: ignore[misc]
    main(["web"])


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def web(url: str, slack: SlackStandIn, log_path: str) -> Iterator[str]:
    """The app in a child process until the block ends; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SLACK_API_URL": slack.api_url,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "INGEST_SECRET": INGEST_SECRET,
        "CASEBOT_CONFIG": os.path.abspath(EXAMPLE),
        "PORT": str(port),
        "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "2"),
        "WEB_THREADS": os.environ.get("WEB_THREADS", "8"),
        "LOG_LEVEL": "INFO",
    }
    env.pop("SLACK_APP_TOKEN", None)
    base = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "bench.ack", "--serve"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_healthy(base, child)
            yield base
        finally:
            child.terminate()
            child.wait(timeout=30)


def wait_healthy(base: str, child: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RuntimeError(f"the web process exited with {child.returncode}")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the web process did not become healthy within 30 s")


def open_cases(base: str, count: int) -> list[int]:
    """Fresh unowned cases through signed ingest, four posts in flight at a time.

    One shared httpx client: building one per post costs more CPU than the post.
    """

    def one(i: int) -> int:
        body = json.dumps(
            {
                "id": f"ack{i}",
                "text": f"My parcel {i} never arrived, where is it?",
                "author": {"id": f"a{i}", "handle": f"@c{i}", "followers": i},
                "conversation_id": f"t{i}",
            }
        ).encode()
        resp = http.post(
            base + "/ingest/twitter",
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Casebot-Signature": sign(INGEST_SECRET, body),
            },
        )
        assert resp.status_code == 202, resp.text
        return int(resp.json()["case"].removeprefix("C-"))

    with httpx.Client(timeout=30) as http, ThreadPoolExecutor(4) as pool:
        return list(pool.map(one, range(count)))


# --- the measurement ----------------------------------------------------------------


@dataclass
class Sample:
    ack: float
    status: int
    answer: float | None
    """Ack-to-answer in seconds; None when no answer came (or none is sent). Negative
    when the answer reached `response_url` before the HTTP answer reached the client."""
    ok: bool

    @property
    def seen(self) -> float | None:
        """Send-to-answer: how long the person waits to read the reply."""
        return None if self.answer is None else self.ack + self.answer


@dataclass
class Command:
    """One kind of interaction: how to build its request and what a good answer is."""

    label: str
    body: Callable[[int, str, str], str]
    """(index, user, response_url) → form body."""
    good: Callable[[int, dict[str, Any] | None], bool]
    """(index, answer args or None) → whether the answer is the expected one."""
    answers: bool = True


def text_of(args: dict[str, Any] | None) -> str:
    return str((args or {}).get("text", ""))


def commands(cases: list[int]) -> dict[str, list[Command]]:
    """The five interactions per phase; each phase's claims get their own fresh cases."""

    def shown(i: int) -> int:
        return cases[i % len(cases)]

    def blocks_answer(args: dict[str, Any] | None) -> bool:
        return bool(args and args.get("blocks")) and "Sorry" not in text_of(args)

    phases: dict[str, list[Command]] = {}
    for phase, offset in (("seq", 0), ("x8", 2 * N)):
        claim = cases[offset : offset + N]
        click = cases[offset + N : offset + 2 * N]
        phases[phase] = [
            Command(
                "`/case help`",
                lambda i, u, r: command_body("help", u, r),
                lambda i, a: text_of(a).startswith("*/case commands*"),
            ),
            Command(
                "`/case list open`",
                lambda i, u, r: command_body("list open", u, r),
                lambda i, a: blocks_answer(a),
            ),
            Command(
                "`/case show C-n`",
                lambda i, u, r: command_body(f"show C-{shown(i)}", u, r),
                lambda i, a: blocks_answer(a),
            ),
            Command(
                "`/case claim C-n`",
                lambda i, u, r, c=claim: command_body(f"claim C-{c[i]}", u, r),
                lambda i, a, c=claim: text_of(a) == f"You own C-{c[i]} now.",
            ),
            Command(
                "Claim button",
                lambda i, u, r, c=click: click_body(c[i], u, r),
                lambda i, a: a is None,
                answers=False,
            ),
        ]
    return phases


def interact(
    http: httpx.Client, base: str, slack: TimedStandIn, cmd: Command, i: int, user: str
) -> tuple[Sample, Arrival]:
    response_url, arrival = slack.expect()
    body = cmd.body(i, user, response_url)
    headers = signed(body)
    t0 = time.perf_counter()
    resp = http.post(base + "/slack/events", content=body, headers=headers)
    acked = time.perf_counter()
    answer = None
    if cmd.answers and arrival.done.wait(ANSWER_WAIT) and arrival.at is not None:
        answer = arrival.at - acked
    ok = resp.status_code == 200 and (not cmd.answers or cmd.good(i, arrival.args))
    return Sample(acked - t0, resp.status_code, answer, ok), arrival


def run(base: str, slack: TimedStandIn, cmd: Command, clients: int) -> list[Sample]:
    """N interactions of one command from `clients` clients started together."""
    start = threading.Barrier(clients)

    def client(k: int) -> list[tuple[int, Sample, Arrival]]:
        user = f"U0BENCH{k:03d}"
        out = []
        with httpx.Client(timeout=30) as http:
            start.wait()
            for i in range(k, N, clients):
                sample, arrival = interact(http, base, slack, cmd, i, user)
                out.append((i, sample, arrival))
        return out

    with ThreadPoolExecutor(clients) as pool:
        done = [row for rows in pool.map(client, range(clients)) for row in rows]
    if not cmd.answers:
        # A button's answer would only be a refusal; give late ones a moment to show.
        time.sleep(0.5)
        for i, sample, arrival in done:
            sample.ok = sample.status == 200 and cmd.good(i, arrival.args)
    return [sample for _, sample, _ in done]


# --- report -------------------------------------------------------------------------


def ms(seconds: float) -> str:
    value = seconds * 1000
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}"


def spread(values: list[float]) -> str:
    """p50 / p95 / p99 / max; percentiles interpolate between the sorted samples."""
    if not values:
        return "—"
    if len(values) == 1:
        return f"{ms(values[0])} (1 sample)"
    q = statistics.quantiles(values, n=100, method="inclusive")
    return " / ".join(ms(v) for v in (q[49], q[94], q[98], max(values)))


HEADER = (
    "| backend | clients | command | ack p50 / p95 / p99 / max (ms) | > 3 s "
    "| ack → answer p50 / p95 / p99 / max (ms) | send → answer p50 / p99 (ms) | failed |\n"
    "|---|---|---|---|---|---|---|---|"
)


def row(backend: str, clients: int, cmd: Command, samples: list[Sample]) -> str:
    acks = [s.ack for s in samples]
    answers = [s.answer for s in samples if s.answer is not None]
    late = sum(a > SLACK_ACK_LIMIT for a in acks)
    failed = sum(not s.ok for s in samples)
    after = spread(answers) if cmd.answers else "— (none on success)"
    seen = [s.seen for s in samples if s.seen is not None]
    total = "—"
    if len(seen) > 1:
        q = statistics.quantiles(seen, n=100, method="inclusive")
        total = f"{ms(q[49])} / {ms(q[98])}"
    return (
        f"| {backend} | {clients} | {cmd.label} | {spread(acks)} | {late} | {after} "
        f"| {total} | {failed} |"
    )


def bench(backend: str) -> list[str]:
    rows: list[str] = []
    slack = TimedStandIn().start()
    try:
        with (
            database(backend) as url,
            tempfile.TemporaryDirectory() as tmp,
            web(url, slack, os.path.join(tmp, "web.log")) as base,
        ):
            t0 = time.perf_counter()
            cases = open_cases(base, 4 * N)
            print(f"{backend}: {len(cases)} cases opened in {time.perf_counter() - t0:.1f} s")
            for (phase, cmds), clients in zip(commands(cases).items(), (1, CLIENTS), strict=True):
                for cmd in cmds:
                    t0 = time.perf_counter()
                    samples = run(base, slack, cmd, clients)
                    rows.append(row(backend, clients, cmd, samples))
                    print(f"  {rows[-1]}   [{phase} {time.perf_counter() - t0:.1f} s]")
            owned = claimed(url)
            print(f"  claimed in the database: {owned} of {4 * N}")
            print(f"  web log: {log_errors(os.path.join(tmp, 'web.log'))}")
            methods = Counter(c.method for c in slack.calls)
            print(f"  Slack Web API calls: {dict(methods) or 'none'}")
    finally:
        slack.stop()
    return rows


def claimed(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            q = text("SELECT count(*) FROM cases WHERE owner_id LIKE 'U0BENCH%'")
            return int(conn.execute(q).scalar_one())
    finally:
        engine.dispose()


def log_errors(path: str) -> str:
    """Errors the app logged (the bench's failures column should agree)."""
    errors = 0
    lines = 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            lines += 1
            if '"level": "error"' in line or "Traceback" in line or "[ERROR]" in line:
                errors += 1
    return f"{lines} lines, {errors} errors"


def main() -> None:
    started = time.perf_counter()
    load = os.getloadavg()[0]
    rows = [HEADER]
    for backend in BACKENDS:
        rows += bench(backend)
    print()
    print("\n".join(rows))
    print(
        f"\nN={N} per command and client count; load average {load:.2f} at start, "
        f"{os.getloadavg()[0]:.2f} at end; {time.perf_counter() - started:.0f} s in all"
    )


if __name__ == "__main__":
    if "--serve" in sys.argv:
        serve()
    else:
        main()
