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
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_bolt.response import BoltResponse

LISTENER_THREADS = 64
"""Listener threads per process: enough that acks never wait for a thread while acked
work waits for a permit (a waiting thread costs a little memory, no CPU)."""
WORKERS = 2
"""Threads per process doing post-ack work at once: the web process has 2 cores to
share with its requests, so more would only queue acks behind the interpreter lock."""


class _Permits:
    """A counting semaphore that wakes waiters in arrival order."""

    def __init__(self, count: int) -> None:
        self._free = count
        self._lock = threading.Lock()
        self._waiting: deque[threading.Lock] = deque()

    def acquire(self) -> None:
        with self._lock:
            if self._free and not self._waiting:
                self._free -= 1
                return
            gate = threading.Lock()
            gate.acquire()
            self._waiting.append(gate)
        gate.acquire()  # released by `release`, which hands its permit over

    def release(self) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.popleft().release()
            else:
                self._free += 1


class WorkPool(ThreadPoolExecutor):
    """Bolt's `listener_executor`: many threads to ack on, few permits to work with."""

    def __init__(self, threads: int = LISTENER_THREADS, workers: int = WORKERS) -> None:
        super().__init__(max_workers=threads, thread_name_prefix="bolt-listener")
        self.workers = workers
        self._permits = _Permits(workers)
        self._held = threading.local()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        def run() -> Any:
            self._held.value = False
            try:
                return fn(*args, **kwargs)
            finally:
                if self._held.value:
                    self._held.value = False
                    self._permits.release()

        return super().submit(run)

    def work(self) -> None:
        """On a listener thread, once it has acked: wait for a permit (once)."""
        if getattr(self._held, "value", None) is False:
            self._permits.acquire()
            self._held.value = True


class _AckThenWait(Ack):
    def __init__(self, pool: WorkPool) -> None:
        super().__init__()
        self._pool = pool

    def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        response = super().__call__(*args, **kwargs)
        self._pool.work()
        return response


def install(bolt: App, pool: WorkPool) -> None:
    """Every request's `ack` waits for a work permit right after acking, when it runs on
    one of `pool`'s threads."""

    def ack_first(context: BoltContext, next: Callable[[], None]) -> None:
        context["ack"] = _AckThenWait(pool)
        next()

    bolt.use(ack_first)
