"""The outbox job drains as soon as a row is queued, not on the next second's tick
(`bot.outbox.watch`): a click's card change waits for the worker, so that tick was the
clicker's wait. Rows due later are still drained once a second."""

from __future__ import annotations

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from flask.testing import FlaskClient

from bot import worker
from bot.deps import Deps
from bot.outbox.watch import IDLE_SECONDS, WATCH_SECONDS, Watch
from tests.conftest import post_json, sample_post
from tests.support.clock import Clock

pytestmark = pytest.mark.both_db


def test_a_queued_row_makes_the_next_look_due_and_nothing_new_waits_the_idle_second(
    deps: Deps, http: FlaskClient
) -> None:
    clock = Clock(100.0)
    watch = Watch(deps.db, clock=clock)
    assert watch.due(), "the first look drains whatever waited while the worker was down"
    assert not watch.due()

    post_json(http, "web", sample_post(1))  # its card is queued
    assert watch.due()
    assert not watch.due()

    clock.now += IDLE_SECONDS - 0.01
    assert not watch.due()
    clock.now += 0.01
    assert watch.due(), "a row set back to later is drained within the idle second"
    assert not watch.due()


def test_the_outbox_job_looks_every_watch_interval(deps: Deps) -> None:
    scheduler = BackgroundScheduler()
    worker.add_jobs(scheduler, deps)
    [job] = [j for j in scheduler.get_jobs() if j.id == "outbox"]
    assert job.trigger.interval.total_seconds() == WATCH_SECONDS < IDLE_SECONDS
