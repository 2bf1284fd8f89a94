"""The worker: APScheduler running Casebot's periodic, idempotent jobs.

Every job is safe to run in several processes at once (the database decides who does
what), so the scheduler keeps its jobs in memory. `coalesce=True` and
`max_instances=1`: a job that fell behind runs once, not once per missed tick, and
never overlaps itself; `misfire_grace_time=None` runs a late job rather than skipping
it, because each run catches up on everything due anyway.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from bot.deps import Deps
from bot.slack.client import make_client
from bot.slack.outbox import Delivery, deliver_due

log = logging.getLogger("casebot.worker")

OUTBOX_SECONDS = 1.0


def delivery(deps: Deps) -> Delivery:
    client = make_client(deps.settings.slack_bot_token, deps.settings.slack_api_url)
    return Delivery(db=deps.db, client=client, config=deps.config, clock=deps.clock)


def add_jobs(scheduler: BaseScheduler, deps: Deps) -> None:
    d = delivery(deps)

    def drain_outbox() -> None:
        while deliver_due(d) > 0:
            pass

    scheduler.add_job(
        drain_outbox,
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
