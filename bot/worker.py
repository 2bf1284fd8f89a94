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
import socket
import uuid
from collections.abc import Callable, Mapping
from datetime import timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from bot import digests
from bot.deps import Deps
from bot.oncall.handoffs import announce_handoffs
from bot.outbox import kinds
from bot.outbox.runner import Delivery, deliver_due
from bot.outbox.watch import WATCH_SECONDS, Watch
from bot.polling import Poller
from bot.problems.queue import detect_queued
from bot.sla.sweep import BATCH, SQLITE_BATCH, SweepResult, sweep
from bot.slack import delivery as slack_delivery
from bot.slack import digest
from bot.slack.client import make_outbox_client
from bot.slack.pacing import Pacer
from bot.slack.posting import SlackOut
from bot.slack.problem_delivery import deliver_problem_card
from handlers.channels.delivery import acknowledgement_deliverer, reply_deliverer
from handlers.channels.replies import build_connectors
from storage import statistics
from storage.db import is_unavailable
from storage.rollup import refresh as rollup

log = logging.getLogger("casebot.worker")

POLL_TICK_SECONDS = 2.0
"""How often each poller asks the database whether its source is due (and free)."""
POLLERS = "pollers"
"""The executor the pollers run in, a thread each: one source's slow or hung request
never holds up another's poll, nor the sweep or the outbox."""
ROLLUP_SECONDS = 15.0
"""How often changed cases are folded into the summary's rollup: the summary is exact
either way, and its cost grows with what is not folded in yet."""


DELIVERY_THREADS = 4
"""Cases whose rows one worker delivers at once: each delivery mostly waits (on Slack,
on the database), so a few threads multiply a round's rate (`outbox.runner._lanes`; a
click's card p99 at twenty clients: PostgreSQL 3.4 -> 0.7 s, SQLite 1.27 -> 0.47-0.53
s). On SQLite the lanes' writes meet at its one writer; with a round's deferrals in one
transaction that costs ingest beside it nothing measurable (bare inserts' p99 116-136
ms with lanes, 125-136 ms without)."""


def delivery(deps: Deps, env: Mapping[str, str] | None = None) -> Delivery:
    """The outbox runner with its plugins: the Slack deliverers, sharing one client and
    one pacer, and the customer-reply ones; connectors are built here, so a missing
    connector secret stops the worker at start with one line naming the variable."""
    settings = deps.settings
    client = make_outbox_client(
        settings.slack_bot_token, settings.slack_api_url, settings.slack_timeout_seconds
    )
    # Paced by the time source, like everything else the worker decides on.
    pacer = Pacer(settings.slack_channel_rate, clock=lambda: deps.time.now().timestamp())
    out = SlackOut(client=client, pacer=pacer)
    connectors = build_connectors(deps.config.sources, os.environ if env is None else env)
    return Delivery(
        db=deps.db,
        config=deps.config,
        time=deps.time,
        lease=timedelta(seconds=settings.outbox_lease_seconds),
        threads=DELIVERY_THREADS,
        deliverers={
            **slack_delivery.deliverers(
                out,
                (kinds.DigestMessage, digest.deliver),
                (kinds.ProblemCard, deliver_problem_card),
            ),
            kinds.CustomerReply.kind: reply_deliverer(connectors),
            kinds.Acknowledgement.kind: acknowledgement_deliverer(connectors, settings.public_url),
        },
    )


DETECT_PER_ROUND = 256
"""Queued cases detected before each delivery of what is due: a storm's backlog does
not hold up the outbox for long."""
DETECTION_SECONDS = 1.0
"""On PostgreSQL a detection job empties the queue on its own thread as well, so a
storm's backlog is detected while the outbox delivers (the two take turns on the
detection lock; measured: a 2,400-post burst detected 4 s after its last 202, not 15-21
s). Not on SQLite: its one writer would only alternate the two, and the job's batches
took that writer from ingest during the burst (p99 340 ms instead of 40-230 ms)."""
STATISTICS_SECONDS = 2.0
"""How often PostgreSQL's statistics of Casebot's tables are checked (`storage.statistics`;
a table is analyzed only when it changed enough): a burst into a fresh database was
planned from an empty table's statistics until autovacuum's next look, a minute later."""


def outbox_round(d: Delivery) -> int:
    """One round of the outbox job: detect the problems of queued cases, then deliver
    what is due. Detection first, so a new case's card goes out already saying its
    problem (one message, not a message and an edit). Returns how much was done."""
    return detect_queued(d.db, d.config, limit=DETECT_PER_ROUND) + deliver_due(d)


def sweep_once(deps: Deps) -> SweepResult:
    with deps.db.session() as session:
        return sweep(session, now=deps.time.now(), config=deps.config, limit=sweep_batch(deps))


def sweep_batch(deps: Deps) -> int:
    """Clocks a sweep transaction looks at: fewer on SQLite (`SQLITE_BATCH`)."""
    return SQLITE_BATCH if deps.db.is_sqlite else BATCH


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


def pollers(deps: Deps, env: Mapping[str, str] | None = None) -> list[Poller]:
    """One `Poller` per source with `poll:`; a missing token stops the worker at start.

    The fetching side (`handlers.channels.polling`: httpx, feedparser, ~3 MiB resident)
    is imported only when a source polls."""
    if all(cfg.poll is None for cfg in deps.config.sources.values()):
        return []
    from handlers.channels.polling import build_fetchers

    fetchers = build_fetchers(deps.config.sources, os.environ if env is None else env)
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    return [
        Poller(
            db=deps.db,
            config=deps.config,
            time=deps.time,
            source=name,
            poll=poll,
            fetcher=fetchers[name],
            owner=owner,
        )
        for name, cfg in deps.config.sources.items()
        if (poll := cfg.poll) is not None
    ]


def add_pollers(scheduler: BaseScheduler, polled: list[Poller]) -> None:
    if not polled:
        return
    scheduler.add_executor(ThreadPoolExecutor(max_workers=len(polled)), POLLERS)
    for poller in polled:
        scheduler.add_job(
            guarded(f"poll:{poller.source}", poller.tick),
            "interval",
            id=f"poll:{poller.source}",
            seconds=POLL_TICK_SECONDS,
            executor=POLLERS,
        )


def add_jobs(scheduler: BaseScheduler, deps: Deps) -> None:
    """The worker's jobs. On SQLite its writes take the writer turn the web processes'
    ingest batches take (`Database.writes_take_turns`), so the two queue fairly."""
    deps.db.writes_take_turns = True
    d = delivery(deps)
    watch = Watch(deps.db)
    add_pollers(scheduler, pollers(deps))

    def drain_outbox() -> None:
        if watch.due():
            while outbox_round(d) > 0:
                pass

    def detect_problems() -> None:
        detect_queued(deps.db, deps.config)

    def sweep_slas() -> None:
        while sweep_once(deps).looked_at >= sweep_batch(deps):
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

    def analyze() -> None:
        with deps.db.session() as session:
            analyzed = statistics.refresh(session)
        if analyzed:
            log.debug("statistics.analyzed", extra={"tables": analyzed})

    if not deps.db.is_sqlite:
        scheduler.add_job(
            guarded("problem_detection", detect_problems),
            "interval",
            id="problem_detection",
            seconds=DETECTION_SECONDS,
        )
        scheduler.add_job(
            guarded("statistics", analyze), "interval", id="statistics", seconds=STATISTICS_SECONDS
        )
    scheduler.add_job(
        guarded("outbox", drain_outbox),
        "interval",
        id="outbox",
        seconds=WATCH_SECONDS,
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
