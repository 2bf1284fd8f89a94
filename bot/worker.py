"""The worker: APScheduler running Casebot's periodic, idempotent jobs.

Every job is safe to run in several processes at once (the database decides who does
what), so the scheduler keeps its jobs in memory. `coalesce=True` and
`max_instances=1`: a job that fell behind runs once, not once per missed tick, and
never overlaps itself; `misfire_grace_time=None` runs a late job rather than skipping
it, because each run catches up on everything due anyway.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from bot import digests
from bot.acknowledge import ACK
from bot.deps import Deps
from bot.digests import DIGEST
from bot.oncall.handoffs import announce_handoffs
from bot.replies import REPLY
from bot.sla.sweep import BATCH, SweepResult, sweep
from bot.slack import digest
from bot.slack.client import make_client
from bot.slack.outbox import Delivery, deliver_due
from handlers.channels.delivery import acknowledgement_deliverer, reply_deliverer
from handlers.channels.replies import build_connectors
from storage.db import is_unavailable
from storage.rollup import refresh as rollup

log = logging.getLogger("casebot.worker")

OUTBOX_SECONDS = 1.0
ROLLUP_SECONDS = 15.0
"""How often changed cases are folded into the summary's rollup: the summary is exact
either way, and its cost grows with what is not folded in yet."""


def delivery(deps: Deps, env: Mapping[str, str] | None = None) -> Delivery:
    """The outbox deliverer; customer-reply connectors are built here, so a missing
    connector secret stops the worker at start with one line naming the variable."""
    client = make_client(deps.settings.slack_bot_token, deps.settings.slack_api_url)
    connectors = build_connectors(deps.config.sources, os.environ if env is None else env)
    return Delivery(
        db=deps.db,
        client=client,
        config=deps.config,
        time=deps.time,
        extra={
            REPLY: reply_deliverer(connectors),
            ACK: acknowledgement_deliverer(connectors, deps.settings.public_url),
            DIGEST: digest.deliver,
        },
    )


def sweep_once(deps: Deps) -> SweepResult:
    with deps.db.session() as session:
        return sweep(session, now=deps.time.now(), config=deps.config)


def fold_summary(deps: Deps) -> int:
    """Fold every case changed since the last run into the summary's rollup, a batch per
    transaction; returns how many."""
    total = 0
    while True:
        with deps.db.session() as session:
            done = rollup.refresh(session)
        total += done
        if done < rollup.BATCH:
            return total


def guarded(job: str, run: Callable[[], None]) -> Callable[[], None]:
    """`run`, whose failure is logged here as its job's own kind of trouble and never
    reaches APScheduler, which would write a traceback at every run: while the database
    is down that is one line per job and minute (`bot.logs.FloodFilter`), not one a second.
    The next run simply tries again."""

    def run_job() -> None:
        try:
            run()
        except Exception as exc:
            if is_unavailable(exc):
                log.warning("job.database_unavailable", exc_info=exc, extra={"job": job})
            else:
                log.error("job.failed", exc_info=exc, extra={"job": job})

    run_job.__name__ = job
    return run_job


def add_jobs(scheduler: BaseScheduler, deps: Deps) -> None:
    d = delivery(deps)

    def drain_outbox() -> None:
        while deliver_due(d) > 0:
            pass

    def sweep_slas() -> None:
        while sweep_once(deps).looked_at >= BATCH:
            pass

    def send_digests() -> None:
        """Every digest's due slot, if any: at its cron time, and once at start for a
        slot missed while the worker was down."""
        for one in deps.config.digests:
            with deps.db.session() as session:
                digests.run(session, one, config=deps.config, now=deps.time.now())

    def fold() -> None:
        fold_summary(deps)

    def handoffs() -> None:
        with deps.db.session() as session:
            announce_handoffs(session, config=deps.config, now=deps.time.now())

    scheduler.add_job(
        guarded("sla_sweep", sweep_slas),
        "interval",
        id="sla_sweep",
        seconds=deps.settings.sla_sweep_seconds,
    )
    scheduler.add_job(
        guarded("summary_rollup", fold),
        "interval",
        id="summary_rollup",
        seconds=ROLLUP_SECONDS,
    )
    scheduler.add_job(
        guarded("oncall_handoffs", handoffs), "interval", id="oncall_handoffs", seconds=60
    )
    for one in deps.config.digests:
        scheduler.add_job(guarded("digests", send_digests), one.cron(), id=f"digest:{one.name}")
    if deps.config.digests:
        scheduler.add_job(guarded("digests", send_digests), "date", id="digests_on_start")

    scheduler.add_job(
        guarded("outbox", drain_outbox),
        "interval",
        id="outbox",
        seconds=OUTBOX_SECONDS,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
    )


def build_scheduler(deps: Deps, *, background: bool) -> BaseScheduler:
    defaults = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
    scheduler: BaseScheduler = (
        BackgroundScheduler(job_defaults=defaults, timezone="UTC")
        if background
        else BlockingScheduler(job_defaults=defaults, timezone="UTC")
    )
    add_jobs(scheduler, deps)
    return scheduler
