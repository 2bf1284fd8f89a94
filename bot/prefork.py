"""Start-up work done in a short-lived child, so the gunicorn master stays small.

The master of `casebot web` and `serve` only forks and watches its workers, yet what
it imports stays resident for its whole life (and, touched by reference counting, is
not shared with the workers either). The start-up checks and the migration need
pydantic, SQLAlchemy, SQLModel and alembic: about 60 MiB that the master would carry
for nothing. `in_child` runs them in a forked child that exits when they are done and
hands back only their small, picklable answer.
"""

from __future__ import annotations

import os
import pickle
import sys
import traceback
from collections.abc import Callable
from typing import TypeVar

from config.errors import ConfigError

T = TypeVar("T")

_FAILED = 1


def in_child(work: Callable[[], T]) -> T:
    """`work()` run in a forked child; its result returned here, a `ConfigError` it raises
    raised again here (so its one line reaches the user as usual). Any other failure is
    printed by the child as a traceback and ends this process with the child's code."""
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        os._exit(_run(work, write_end))
    os.close(write_end)
    with os.fdopen(read_end, "rb") as answer:
        payload = answer.read()
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0 or not payload:
        sys.exit(code or _FAILED)
    kind, value = pickle.loads(payload)
    if kind == "error":
        raise ConfigError(value)
    return value  # type: ignore[no-any-return]


def _run(work: Callable[[], object], write_end: int) -> int:
    """The child's side: never returns into the parent's code (the caller `_exit`s)."""
    try:
        try:
            answer: tuple[str, object] = ("ok", work())
        except ConfigError as exc:
            answer = ("error", str(exc))
        with os.fdopen(write_end, "wb") as out:
            out.write(pickle.dumps(answer))
        return 0
    except BaseException:  # the child must exit, whatever went wrong
        traceback.print_exc()
        return _FAILED
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
