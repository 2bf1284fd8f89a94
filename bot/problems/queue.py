"""Problem detection, run by the worker for the cases the intake queued.

Detection is one at a time across every process (`storage.problems.serialize_detection`):
two posts of a storm must each see the other. Run inside the ingest transaction, it made
every accepted post wait for that turn, and the turn included the commit; queued, the
intake writes one row and the worker detects a batch of cases in one transaction, in
the order they opened, with one turn and one commit for the batch. A case is detected
once: its row goes in the transaction that detected it. A case resolved or merged
before its turn came is not compared with anything (it would only be dropped again).
"""

from __future__ import annotations

import logging

from sqlmodel import Session

from bot import effects
from bot.problems import intake, known
from config.schema import CasebotConfig
from storage import detection_queue as queue
from storage import problems as store
from storage import queries, rows
from storage.db import Database
from storage.detection_queue import Queued
from storage.types import ACTIVE_STATUSES

log = logging.getLogger("casebot.problems")

BATCH = 64
"""Cases per transaction: the detection turn is held this long at most (0.3-6 ms a case,
`bench.detection`: a storm case on PostgreSQL is the slowest)."""
SQLITE_BATCH = 16
"""On SQLite a detection transaction holds the one writer that ingest needs: under a
burst, with the cores shared, 64 cases held it 64 ms a transaction, which is what the
posts waiting behind it got added to their answer."""


def detect_queued(db: Database, config: CasebotConfig, *, limit: int | None = None) -> int:
    """Detect queued cases, a batch per transaction, until the queue is empty (or
    `limit` cases are done); returns how many were taken. A batch that fails is done
    again a case per transaction, so one case that cannot be detected (logged, and
    taken off the queue) does not hold up the others."""
    done, batch = 0, SQLITE_BATCH if db.is_sqlite else BATCH
    while limit is None or done < limit:
        size = batch if limit is None else min(batch, limit - done)
        taken: list[Queued] = []
        try:
            with db.session() as session:
                _turn(session, config, size, taken)
            count = len(taken)
        except Exception:
            log.debug("problems.detection_retried", extra={"cases": size})
            count = _one_by_one(db, config, size)
        done += count
        if count < size:
            break
    return done


def _turn(session: Session, config: CasebotConfig, size: int, taken: list[Queued]) -> None:
    """One detection turn over up to `size` queued cases; `taken` is filled before they
    are detected, so a caller whose turn failed knows which cases it held."""
    rows.batch(session)
    store.serialize_detection(session)
    known.start(session)
    taken.extend(queue.take(session, limit=size))
    _detect(session, taken, config)


def _one_by_one(db: Database, config: CasebotConfig, size: int) -> int:
    """Each case in its own turn, taken again inside it: another worker may have done
    it meanwhile."""
    for done in range(size):
        taken: list[Queued] = []
        try:
            with db.session() as session:
                _turn(session, config, 1, taken)
        except Exception as exc:
            if not taken:  # the queue itself could not be read: the database is down
                raise
            log.error("problems.detection_failed", exc_info=exc, extra={"case": taken[0].case_id})
            with db.session() as session:
                queue.drop(session, case_ids=[taken[0].case_id])
        if not taken:
            return done
    return size


def _detect(session: Session, items: list[Queued], config: CasebotConfig) -> None:
    ids = [item.case_id for item in items]
    effects.prefetch_cards(session, ids)  # linking refreshes their cards: one look-up
    cases = queries.cases_by_id(session, ids=ids)
    for item in items:
        case = cases.get(item.case_id)
        if case is not None and case.status in ACTIVE_STATUSES:
            intake.on_open(session, case, item.text, now=item.at, config=config)
    queue.drop(session, case_ids=ids)
