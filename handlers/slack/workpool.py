"""Acks ahead of work: Bolt's listeners start at once, the work after `ack()` takes turns.

Bolt (`process_before_response` off) runs each listener on its executor; the HTTP
answer leaves when the listener calls `ack()`, and the listener goes on with the work
(the database, the answer on `response_url`) on the same thread. Under load that work,
a few milliseconds of CPU per command, filled every listener thread of a process, and a
new request's ack queued behind it for the interpreter lock: acks took 5-12x a bare
Bolt app's at twenty clients.

Here a listener thread that has acked waits for one of a few work permits before it
goes on, so at most `workers` threads per process do post-ack work at once while any
number of listeners can still start and ack. Work that waits keeps its order (FIFO
permits), and nothing is lost that was not lost before: the work was already in memory
after the ack. Events, which Bolt acks itself before their listener starts, and
`process_before_response` (tests, the demo: the listener runs on the request thread)
take no permit.

A read (`/case list`, `/case show`, a list's page button) takes every permit: it runs
alone. Its work is all interpreter time (a page is rendered and masked, ~7 ms, and
waits on nothing), so two at once left the acks no interpreter: `/case list`'s ack
p99 was 1.9-3.4x bare Bolt's at twenty clients with two permits, 0.8-1.5x with one,
while claims, which wait on the database half the time, answered slower with one.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_bolt.response import BoltResponse

from bot.slack.ids import CASE_LIST_PAGE
from handlers.slack import grammar

LISTENER_THREADS = 64
"""Listener threads per process: enough that acks never wait for a thread while acked
work waits for a permit (a waiting thread costs a little memory, no CPU)."""
WORKERS = 2
"""Threads per process doing post-ack work at once: the web process has 2 cores to
share with its requests, so more would only queue acks behind the interpreter lock."""


class _Permits:
    """A counting semaphore that wakes waiters in arrival order; a waiter may want
    several permits, and nobody behind it goes first."""

    def __init__(self, count: int) -> None:
        self._free = count
        self._lock = threading.Lock()
        self._waiting: deque[tuple[threading.Lock, int]] = deque()

    def acquire(self, count: int = 1) -> None:
        with self._lock:
            if self._free >= count and not self._waiting:
                self._free -= count
                return
            gate = threading.Lock()
            gate.acquire()
            self._waiting.append((gate, count))
        gate.acquire()  # released by `release`, which hands the permits over

    def release(self, count: int = 1) -> None:
        with self._lock:
            self._free += count
            while self._waiting and self._waiting[0][1] <= self._free:
                gate, wanted = self._waiting.popleft()
                self._free -= wanted
                gate.release()


class WorkPool(ThreadPoolExecutor):
    """Bolt's `listener_executor`: many threads to ack on, few permits to work with."""

    def __init__(self, threads: int = LISTENER_THREADS, workers: int = WORKERS) -> None:
        super().__init__(max_workers=threads, thread_name_prefix="bolt-listener")
        self.workers = workers
        self._permits = _Permits(workers)
        self._held = threading.local()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        def run() -> Any:
            self._held.value = 0
            try:
                return fn(*args, **kwargs)
            finally:
                if held := self._held.value:
                    self._held.value = 0
                    self._permits.release(held)

        return super().submit(run)

    def work(self, *, alone: bool = False) -> None:
        """On a listener thread, once it has acked: wait for a permit (once), or for
        every permit when the work is to run `alone`."""
        if getattr(self._held, "value", None) == 0:
            count = self.workers if alone else 1
            self._permits.acquire(count)
            self._held.value = count


class _AckThenWait(Ack):
    def __init__(self, pool: WorkPool, *, alone: bool = False) -> None:
        super().__init__()
        self._pool = pool
        self._alone = alone

    def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        response = super().__call__(*args, **kwargs)
        self._pool.work(alone=self._alone)
        return response


def reads(body: dict[str, Any]) -> bool:
    """Whether the request only reads: a `/case list` or `/case show`, or a list's page
    button (its action id is `CASE_LIST_PAGE`'s)."""
    if "command" in body:
        return grammar.reads_only(str(body.get("text") or ""))
    actions = body.get("actions") or []
    return bool(actions) and all(
        re.match(CASE_LIST_PAGE, str(a.get("action_id", ""))) for a in actions
    )


def install(bolt: App, pool: WorkPool) -> None:
    """Every request's `ack` waits for a work permit right after acking, when it runs on
    one of `pool`'s threads."""

    def ack_first(context: BoltContext, body: dict[str, Any], next: Callable[[], None]) -> None:
        context["ack"] = _AckThenWait(pool, alone=reads(body))
        next()

    bolt.use(ack_first)
