"""How long Slack waits for Casebot's ack, and the user for the answer, against bare Bolt.

Slack gives an app 3 s to answer a slash command or a button click over HTTP, and
shows an error otherwise, so the ack is the figure that must hold under load. Casebot
runs as production runs it: `casebot web` (`bench.serving`: gunicorn gthread, 2
workers x 8 threads, Bolt with `process_before_response` off, loopback) and `casebot
worker` beside it. A bare Bolt app is served the same way (one slash command and one
button that ack and answer on `response_url` with a line of text). Slack's Web API and
every `response_url` are a `SlackStandIn` in this process.

Twenty clients at once send signed requests with httpx on fresh connections (as
separate Slack deliveries arrive), each waiting for its answer before sending the
next, like a person would: `/case claim C-n` (a fresh case each), `/case list open`
and a card's Claim button (fresh cases too), N of each, bare then Casebot, twice
(A/B/A/B, one run, the ratio from the same load). **ack** is from sending to the end
of the HTTP answer; **answer** from sending until what the person waits for reaches
Slack: the ephemeral answer on `response_url`, or for a click the card showing the
clicker as its owner (`chat.update` from the worker's outbox; the bare app answers a
click on `response_url`). The cards are posted before the clicks, by a worker without
Slack's per-channel pacing (800 cards in one channel would take 800 s), which is then
stopped; the measured phases run a worker with the production settings.

A last row, **Claim button, not waiting**, has clients that send the next click as soon
as the last is acked (a click storm no person makes): once the acked clicks outrun the
claims, acks come at the rate claims commit. It is printed for what it shows, with
the bare app's click ack as its baseline.

Run: `python -m bench.ack [N] [sqlite|postgresql]` from the repository root (N defaults
to 200, both backends); `WEB_CONCURRENCY` / `WEB_THREADS` override the production 2 / 8.
"""

from __future__ import annotations

import itertools
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from bench.common import database
from bench.serving import INGEST_SECRET, SIGNING_SECRET, load, served, worker
from bot.demo.signed import block_action, interactive_body, signed_headers
from bot.demo.signed import command_body as slack_command
from bot.demo.standin import Call, SlackStandIn
from bot.slack import ids
from handlers.channels.base import sign

N = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 200
BACKENDS = [a for a in sys.argv[1:] if a in ("sqlite", "postgresql")] or ["sqlite", "postgresql"]
CLIENTS = 20
ROUNDS = 2
ANSWER_WAIT = 10.0
"""How long a client waits for the ephemeral answer before counting it as missing."""
SETTLE = 5.0
"""Seconds the measured worker gets to start before the first phase."""
OWNER = "<@U0BENCH"
"""How a card shows that one of the bench's users owns it."""


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
        super().__init__(on_call=self._card_changed)
        self.arrivals: dict[str, Arrival] = {}
        self.cards: dict[int, Arrival] = {}
        """Clicked cases whose card has not shown its owner yet."""
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

    def expect(self, card: int | None = None) -> tuple[str, Arrival]:
        """A `response_url` and what will arrive there; with `card`, the arrival is also
        that case's card shown with a bench user as its owner, whichever comes first."""
        name = f"i{next(self._names)}"
        arrival = Arrival(threading.Event())
        with self._lock:
            self.arrivals[name] = arrival
            if card is not None:
                self.cards[card] = arrival
        return self.response_url(name), arrival

    def posted(self) -> int:
        with self._lock:
            return sum(c.method == "chat.postMessage" for c in self.calls)

    def _card_changed(self, call: Call) -> None:
        """Under the stand-in's lock, as each call arrives: a card edit naming its owner."""
        if call.method != "chat.update":
            return
        ref = str(call.args.get("text", "")).split(" ", 1)[0].removeprefix("C-")
        if not ref.isdigit() or OWNER not in json.dumps(call.args.get("blocks")):
            return
        arrival = self.cards.pop(int(ref), None)
        if arrival is not None and arrival.at is None:
            arrival.at, arrival.args = time.perf_counter(), call.args
            arrival.done.set()

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        at = time.perf_counter()
        super()._handle(req)
        if not req.path.startswith("/respond/"):
            return
        name = req.path.removeprefix("/respond/")
        with self._lock:
            arrival = self.arrivals.pop(name, None)
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


# --- the apps under test ------------------------------------------------------------


def open_cases(base: str, count: int) -> list[int]:
    """Fresh unowned cases through signed ingest, eight posts in flight at a time.

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

    with httpx.Client(timeout=30) as http, ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(count)))


# --- the measurement ----------------------------------------------------------------


@dataclass
class Sample:
    ack: float
    status: int
    answer: float | None
    """Send-to-answer in seconds (what the person waits); None when no answer came (or
    none is sent)."""
    ok: bool


@dataclass
class Command:
    """One kind of interaction: how to build its request and what a good answer is."""

    label: str
    body: Callable[[int, str, str], str]
    """(index, user, response_url) → form body."""
    good: Callable[[int, dict[str, Any] | None], bool]
    """(index, answer args or None) → whether the answer is the expected one."""
    answers: bool = True
    """False: the client sends its next request as soon as this one is acked."""
    card: Callable[[int], int] | None = None
    """(index) → the case whose card edit is the answer (Casebot's clicks)."""


def text_of(args: dict[str, Any] | None) -> str:
    return str((args or {}).get("text", ""))


def commands(cases: list[int], bare: bool) -> list[Command]:
    """The interactions of one phase; claims and clicks take fresh cases each. The bare
    app answers every command and click with a line of text."""

    def blocks_answer(args: dict[str, Any] | None) -> bool:
        if bare:
            return text_of(args).startswith("ok")
        return bool(args and args.get("blocks")) and "Sorry" not in text_of(args)

    claim, click, storm = cases[:N], cases[N : 2 * N], cases[2 * N : 3 * N]

    def clicked(args: dict[str, Any] | None) -> bool:
        if bare:
            return text_of(args) == "ok claimed"
        return OWNER in json.dumps((args or {}).get("blocks"))

    return [
        Command(
            "`/case claim C-n`",
            lambda i, u, r: command_body(f"claim C-{claim[i]}", u, r),
            lambda i, a: (
                text_of(a) == (f"ok claim C-{claim[i]}" if bare else f"You own C-{claim[i]} now.")
            ),
        ),
        Command(
            "`/case list open`",
            lambda i, u, r: command_body("list open", u, r),
            lambda i, a: blocks_answer(a),
        ),
        Command(
            "Claim button",
            lambda i, u, r: click_body(click[i], u, r),
            lambda i, a: clicked(a),
            card=None if bare else (lambda i: click[i]),
        ),
        Command(
            "Claim button, not waiting",
            lambda i, u, r: click_body(storm[i], u, r),
            lambda i, a: clicked(a) if bare else a is None,
            answers=False,
        ),
    ]


def interact(
    http: httpx.Client, base: str, slack: TimedStandIn, cmd: Command, i: int, user: str
) -> tuple[Sample, Arrival]:
    response_url, arrival = slack.expect(cmd.card(i) if cmd.card else None)
    body = cmd.body(i, user, response_url)
    headers = signed(body)
    t0 = time.perf_counter()
    resp = http.post(base + "/slack/events", content=body, headers=headers)
    acked = time.perf_counter()
    answer = None
    if cmd.answers and arrival.done.wait(ANSWER_WAIT) and arrival.at is not None:
        answer = arrival.at - t0
    ok = resp.status_code == 200 and (not cmd.answers or cmd.good(i, arrival.args))
    return Sample(acked - t0, resp.status_code, answer, ok), arrival


def run(base: str, slack: TimedStandIn, cmd: Command) -> list[Sample]:
    """N interactions of one command from CLIENTS clients started together."""
    start = threading.Barrier(CLIENTS)

    def client(k: int) -> list[tuple[int, Sample, Arrival]]:
        user = f"U0BENCH{k:03d}"
        out = []
        with httpx.Client(timeout=30) as http:
            start.wait()
            for i in range(k, N, CLIENTS):
                sample, arrival = interact(http, base, slack, cmd, i, user)
                out.append((i, sample, arrival))
        return out

    with ThreadPoolExecutor(CLIENTS) as pool:
        done = [row for rows in pool.map(client, range(CLIENTS)) for row in rows]
    if not cmd.answers:
        # Casebot's answer to these would only be a refusal; give late ones a moment.
        time.sleep(0.5)
        for i, sample, arrival in done:
            sample.ok = sample.status == 200 and cmd.good(i, arrival.args)
    return [sample for _, sample, _ in done]


# --- report -------------------------------------------------------------------------


def ms(seconds: float) -> str:
    value = seconds * 1000
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}"


def pct(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def p50_p99(values: list[float]) -> str:
    if len(values) < 2:
        return "—"
    return f"{ms(pct(values, 50))} / {ms(pct(values, 99))}"


HEADER = (
    "| backend | command | ack p50 / p99 (ms) | bare Bolt ack p50 / p99 | ack p99 ratio "
    "| answer p50 / p99 (ms) | bare answer p50 / p99 | failed |\n"
    "|---|---|---|---|---|---|---|---|"
)


def row(backend: str, label: str, app: list[Sample], bare: list[Sample]) -> str:
    acks, bare_acks = [s.ack for s in app], [s.ack for s in bare]
    answers = [s.answer for s in app if s.answer is not None]
    bare_answers = [s.answer for s in bare if s.answer is not None]
    ratio = pct(acks, 99) / pct(bare_acks, 99)
    failed = sum(not s.ok for s in app), sum(not s.ok for s in bare)
    return (
        f"| {backend} | {label} | {p50_p99(acks)} | {p50_p99(bare_acks)} | {ratio:.2f} "
        f"| {p50_p99(answers)} | {p50_p99(bare_answers)} | {failed[0]} / {failed[1]} |"
    )


PER_ROUND = 3 * N
"""Fresh cases a phase takes: N for the claim command and N for each kind of click."""


def post_cards(url: str, slack: TimedStandIn, log: str, count: int) -> None:
    """Every opened case's card in its channel, by a worker without pacing, stopped
    before the measurement (the measured worker keeps Slack's pace)."""
    with worker(url, slack.api_url, log, SLACK_CHANNEL_RATE="0"):
        deadline = time.monotonic() + 300
        while slack.posted() < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {slack.posted()} of {count} cards were posted")
            time.sleep(0.2)


def bench(backend: str) -> list[str]:
    slack = TimedStandIn().start()
    try:
        with database(backend) as url, tempfile.TemporaryDirectory() as tmp:
            log = os.path.join(tmp, "web.log")
            with (
                served("casebot", url, slack.api_url, log) as (app, _),
                served("bare-bolt", url, slack.api_url, log) as (bare, _),
            ):
                cases = open_cases(app, PER_ROUND * ROUNDS)
                post_cards(url, slack, log, len(cases))
                print(f"{backend}: {len(cases)} cases and cards (load {load()})", flush=True)
                samples: dict[tuple[str, str], list[Sample]] = {}
                with worker(url, slack.api_url, log):
                    # Its start (checks, the first sweep and summary fold over every case)
                    # is over before the first phase, which is the bare app's.
                    time.sleep(SETTLE)
                    for r in range(ROUNDS):
                        mine = cases[PER_ROUND * r : PER_ROUND * (r + 1)]
                        for kind, base in (("bare", bare), ("casebot", app)):
                            for cmd in commands(mine, kind == "bare"):
                                got = run(base, slack, cmd)
                                samples.setdefault((kind, cmd.label), []).extend(got)
                                print(f"  round {r + 1} {kind:8s} {summary(cmd, got)}", flush=True)
                print(f"  claimed in the database: {claimed(url, len(cases))} of {len(cases)}")
                print(f"  log: {log_errors(log)}")
        labels = [c.label for c in commands([0] * PER_ROUND, False)]
        return [
            row(backend, label, samples[("casebot", label)], samples[("bare", label)])
            for label in labels
        ]
    finally:
        slack.stop()


def summary(cmd: Command, got: list[Sample]) -> str:
    acks = [s.ack for s in got]
    answers = [s.answer for s in got if s.answer is not None]
    answered = f", answer p99 {ms(pct(answers, 99))} ms" if len(answers) > 1 else ""
    return f"{cmd.label:26s} ack p99 {ms(pct(acks, 99))} ms{answered} (load {load()})"


def claimed(url: str, expected: int) -> int:
    """Cases the bench's users own, once every click has landed (acked clicks of the
    last phase may still be queued for a work permit), or after 30 s."""
    engine = create_engine(url)
    q = text("SELECT count(*) FROM cases WHERE owner_id LIKE 'U0BENCH%'")
    deadline = time.monotonic() + 30
    try:
        while True:
            with engine.connect() as conn:
                owned = int(conn.execute(q).scalar_one())
            if owned >= expected or time.monotonic() > deadline:
                return owned
            time.sleep(0.2)
    finally:
        engine.dispose()


def log_errors(path: str) -> str:
    """Errors the apps logged (the bench's failures column should agree)."""
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
    print(f"ack: {CLIENTS} clients, {N} per command and round, load {load()}", flush=True)
    rows = [HEADER]
    for backend in BACKENDS:
        rows += bench(backend)
    print()
    print("\n".join(rows))
    print(f"\nload {load()} at the end; {time.perf_counter() - started:.0f} s in all")


if __name__ == "__main__":
    main()
