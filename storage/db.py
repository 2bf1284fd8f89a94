"""Engine and unit-of-work sessions for SQLite (embedded) and PostgreSQL (scale-out)."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

SQLITE_BUSY_TIMEOUT_MS = 10_000
READONLY = "casebot_readonly"
SQLITE_CACHE_KIB = 512
"""Page cache per SQLite connection (SQLite's default is 2,000 KiB). A process keeps a
pool of connections and each fills its cache on the first scan of a big table; the
operating system caches the same file pages anyway, so a smaller per-connection cache
costs a system call on a miss and took ~3 MiB off `serve` at 100k open cases."""


def sqlite_file(url: str) -> Path | None:
    """The file behind a SQLite URL (None for PostgreSQL and in-memory SQLite).

    Opening a missing SQLite file would create it, empty; only `migrate` (and `serve`,
    which migrates) may do that, so the other commands look for the file first."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def make_engine(url: str) -> Engine:
    """Create an engine tuned for the backend.

    SQLite runs in WAL mode, and every transaction starts with `BEGIN IMMEDIATE`: the
    write lock is taken up front, so two writers queue on the busy timeout instead of
    failing on a read-to-write upgrade. That is the "single writer" SQLite offers.

    `hide_parameters`: SQLAlchemy otherwise writes every bound value (post text, e-mail
    addresses) into the message of each database exception, and so into the logs.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # A database host that stopped answering must fail a request within seconds (503),
        # not hold a request thread for the operating system's TCP timeout.
        timeout = {} if "connect_timeout" in parsed.query else {"connect_timeout": 5}
        return create_engine(
            url,
            pool_pre_ping=True,
            pool_size=10,
            max_overflow=10,
            hide_parameters=True,
            connect_args=timeout,
        )
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        hide_parameters=True,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        readonly = conn.get_execution_options().get(READONLY, False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine


def is_unavailable(error: BaseException) -> bool:
    """Whether `error` says the database cannot be used right now (down, unreachable,
    restarting, out of connections, locked past the busy timeout), as opposed to a
    mistake in what was asked of it: the first is worth a retry later (503), the second
    is not."""
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(
        error, exc.OperationalError | exc.InterfaceError | exc.TimeoutError | exc.DisconnectionError
    )


class Database:
    """Owns the engine; hands out one session per unit of work."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._readonly = self.engine.execution_options(**{READONLY: True})
        file = sqlite_file(url)
        self._turns = f"{file}-writers.lock" if file is not None else None
        self._turns_fd: int | None = None
        self._turns_lock = threading.Lock()
        """`flock` is per open file: the threads of one process share the descriptor."""
        self._turn_held = threading.local()
        self.writes_take_turns = False
        """Every `session` takes the writer turn first (the worker sets it). SQLite's
        busy handler is not fair: a writer that polls, sleeping up to 100 ms a try,
        keeps losing to one that commits and begins again at once, so ingest batches
        waiting behind the worker's back-to-back transactions waited up to seconds
        (bench.ingest p99 0.75-0.95 s, max 1.8-2.3 s; 0.29-0.34 s, max 0.54 s with
        the worker's writes taking turns)."""

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on any exception."""
        turn = self.writer_turn() if self.writes_take_turns else nullcontext()
        with turn, Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A unit of work that only reads. On SQLite it does not take the write lock
        (WAL readers never block writers), so lists and renders do not queue behind
        claims; nothing is committed."""
        with Session(self._readonly, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def writer_turn(self) -> Iterator[None]:
        """On a SQLite file, wait for this process's turn to write behind a lock file
        beside it (`flock`), then go on; elsewhere, at once. SQLite's own busy handler
        does not queue writers: a connection that finds the write lock taken sleeps and
        polls, up to 100 ms a try, so under a burst the two web processes' ingest
        batches keep missing each other's commits. A waiter on `flock` is woken the
        moment the holder is done. Only a hint: writers that do not take a turn (the
        web process's commands) still meet at `BEGIN IMMEDIATE` as before. A thread that has
        the turn already (a session inside a batch's turn) goes on."""
        if self._turns is None or getattr(self._turn_held, "held", False):
            yield
            return
        with self._turns_lock:  # threads of this process, then the processes
            if self._turns_fd is None:
                try:
                    self._turns_fd = os.open(self._turns, os.O_RDWR | os.O_CREAT, 0o600)
                except OSError:
                    # No lock file (the directory is gone or read-only): the database
                    # says what is wrong with it (a 503), not the hint.
                    yield
                    return
            fcntl.flock(self._turns_fd, fcntl.LOCK_EX)
            self._turn_held.held = True
            try:
                yield
            finally:
                self._turn_held.held = False
                fcntl.flock(self._turns_fd, fcntl.LOCK_UN)

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def dispose(self) -> None:
        """After a fork too: the child opens its own lock file descriptor (a shared
        one would share the `flock` with the parent)."""
        self.engine.dispose()
        if self._turns_fd is not None:
            os.close(self._turns_fd)
            self._turns_fd = None
