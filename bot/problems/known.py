"""What one detection turn has read of the window, kept current by the links it makes.

A turn detects up to sixty-four cases one after the other, and in a storm each one's
candidates are the previous one's plus that case: the same rows were read again for
every case (a fifth of the turn, inside SQLite's one writer), and the same active
problems (a tenth). Here the turn keeps them: a row is read once, the new case is added
as it is detected, and a link moves its cases and its problem as the database now has
them. On SQLite nothing else writes during the turn, so what is kept is what a read
would return; on PostgreSQL a command that resolves a case or closes a problem in those
milliseconds is seen by the next turn, as it would be by a read a moment earlier.
Outside a detection turn (`start` not called) every function reads or does nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlmodel import Session

from storage.problems import Windowed

KNOWN = "casebot.detection_known"


@dataclass
class Known:
    rows: dict[int, Windowed] = field(default_factory=dict)
    absent: set[int] = field(default_factory=set)
    """Asked for and not in the window (closed, or no terms): not asked again."""
    active: list[tuple[int, datetime]] | None = None
    """The active problems, most recent first, with when each was last seen."""


def start(session: Session) -> None:
    """Keep what this transaction's detections read (the session is the turn's own)."""
    session.info[KNOWN] = Known()


def windowed(
    session: Session,
    case_ids: Iterable[int],
    since: datetime,
    read: Callable[[set[int]], list[Windowed]],
) -> list[Windowed]:
    """The open cases of the window among `case_ids`; `read` reads those not kept."""
    ids = set(case_ids)
    known: Known | None = session.info.get(KNOWN)
    if known is None:
        return read(ids)
    missing = ids - known.rows.keys() - known.absent
    if missing:
        found = read(missing)
        known.rows.update((row.case_id, row) for row in found)
        known.absent.update(missing - {row.case_id for row in found})
    rows = (known.rows.get(cid) for cid in sorted(ids))
    return [row for row in rows if row is not None and row.at >= since]


def active(
    session: Session,
    since: datetime,
    limit: int,
    read: Callable[[], list[tuple[int, datetime]]],
) -> list[int]:
    """The active problems' ids, most recent first; `read` reads them (up to `limit`)."""
    known: Known | None = session.info.get(KNOWN)
    listed = read() if known is None or known.active is None else known.active
    if known is not None:
        known.active = listed
    # Read with an older `since`, the list may hold problems that have left the window
    # since; it holds every one still in it (any beyond `limit` were seen even earlier).
    return [pid for pid, seen in listed if seen >= since][:limit]


def add(session: Session, row: Windowed) -> None:
    """A case just detected: the next case of the turn compares with it."""
    known: Known | None = session.info.get(KNOWN)
    if known is not None:
        known.rows[row.case_id] = row
        known.absent.discard(row.case_id)


def linked(
    session: Session, problem_id: int | None, case_ids: Sequence[int], *, at: datetime
) -> None:
    """The cases are now the problem's (None: no problem's); a link is the problem seen."""
    known: Known | None = session.info.get(KNOWN)
    if known is None:
        return
    for cid in case_ids:
        if (row := known.rows.get(cid)) is not None:
            known.rows[cid] = replace(row, problem_id=problem_id)
    if problem_id is not None and known.active is not None:
        rest = [(pid, seen) for pid, seen in known.active if pid != problem_id]
        known.active = [(problem_id, at), *rest]
