"""Scheduled digests: the due slot in the digest's time zone, claimed once however many
workers fire it, a missed slot sent once and marked late, and the delivery as Slack gets
it: Block Kit, then the chart through the real `files_upload_v2` three-step flow."""

from __future__ import annotations

import struct
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlmodel import select

from bot import digests
from bot.chart import HEIGHT_PX, WIDTH_PX
from bot.demo.standin import Fault, SlackStandIn
from bot.deps import Deps
from bot.outbox.runner import Delivery
from bot.timesource import ManualTime
from bot.worker import build_scheduler
from config.digests import Digest
from config.load import load_config
from config.schema import CasebotConfig
from storage.models import Outbox
from storage.worker_tables import DigestRun
from tests.conftest import EXAMPLE_CONFIG, count, drain, post_json, sample_post

CHANNEL = "C0BILLING01"
MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
"""09:00 in Berlin (UTC+1 in November): the slot of `0 9 * * mon-fri`."""
DIGESTS = """
digests:
  - {name: billing-daily, channel: C0BILLING01, departments: [billing],
     schedule: "0 9 * * mon-fri", timezone: Europe/Berlin, period: 1d}
"""


@pytest.fixture
def config(tmp_path: Path) -> CasebotConfig:
    path = tmp_path / "casebot.yaml"
    path.write_text(EXAMPLE_CONFIG.read_text() + DIGESTS)
    return load_config(path)


def _digest(config: CasebotConfig) -> Digest:
    [digest] = config.digests
    return digest


def test_the_due_slot_is_in_the_digests_time_zone(config: CasebotConfig) -> None:
    digest = _digest(config)
    assert digests.due_slot(digest, after=None, now=MONDAY + timedelta(minutes=5)) == (MONDAY, 0)
    assert digests.due_slot(digest, after=None, now=MONDAY + timedelta(hours=2)) is None, (
        "a digest never sent starts with its next slot"
    )
    thursday = MONDAY + timedelta(days=3)
    assert digests.due_slot(digest, after=MONDAY, now=thursday + timedelta(hours=2)) == (
        thursday,
        2,
    ), "Tuesday and Wednesday were stepped over"
    friday = MONDAY + timedelta(days=4)
    weekend = friday + timedelta(days=2, hours=12)
    assert digests.due_slot(digest, after=friday, now=weekend) is None


def test_crontab_day_numbers_mean_what_crontab_means() -> None:
    """APScheduler 3 reads 1 as Tuesday; crontab (and the SPEC's admins) as Monday."""
    digest = Digest(name="d", channel="C0X1", schedule="0 9 * * 1-5", timezone="UTC")
    assert digest.cron().get_next_fire_time(None, MONDAY) == MONDAY + timedelta(hours=1)
    sunday = Digest(name="d", channel="C0X1", schedule="0 9 * * 0", timezone="UTC")
    assert sunday.cron().get_next_fire_time(None, MONDAY).weekday() == 6
    with pytest.raises(ValueError, match="five crontab fields"):
        Digest(name="d", channel="C0X1", schedule="0 9 * *", timezone="UTC")


@pytest.mark.both_db
def test_one_slot_is_claimed_once_by_two_workers(deps: Deps) -> None:
    digest = _digest(deps.config)
    now = MONDAY + timedelta(seconds=1)
    start = threading.Barrier(2)
    won: list[bool] = []

    def worker() -> None:
        start.wait()
        with deps.db.session() as session:
            won.append(digests.run(session, digest, config=deps.config, now=now))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(won) == [False, True]
    with deps.db.read() as s:
        assert count(s, DigestRun) == 1
        assert count(s, Outbox, Outbox.kind == "digest") == 1


@pytest.mark.both_db
def test_slots_missed_while_down_are_sent_once_marked_late(deps: Deps) -> None:
    digest = _digest(deps.config)
    with deps.db.session() as s:
        assert digests.run(s, digest, config=deps.config, now=MONDAY)
    thursday = MONDAY + timedelta(days=3, hours=2)
    for now, sent in [
        (thursday, True),
        (thursday + timedelta(minutes=5), False),
        (MONDAY + timedelta(days=4, seconds=30), True),
    ]:
        with deps.db.session() as s:
            assert digests.run(s, digest, config=deps.config, now=now) is sent
    with deps.db.read() as s:
        runs = s.exec(select(DigestRun).order_by(DigestRun.slot)).all()
    assert [(r.slot, r.late) for r in runs] == [
        (MONDAY, False),
        (MONDAY + timedelta(days=3), True),
        (MONDAY + timedelta(days=4), False),
    ]


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


@pytest.mark.both_db
def test_the_digest_reaches_the_channel_with_its_chart(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    time_source: ManualTime,
) -> None:
    """A refund case the day before; the digest at Monday 09:00 Berlin."""
    time_source.advance(MONDAY - timedelta(hours=20) - time_source.now())
    post_json(http, "web", sample_post(1, "I want a refund"))
    drain(worker)
    time_source.advance(MONDAY - time_source.now())
    with deps.db.session() as s:
        assert digests.run(s, _digest(deps.config), config=deps.config, now=time_source.now())
    drain(worker)

    [posted] = [m for m in slack.channel(CHANNEL) if m.blocks and m.blocks[0]["type"] == "header"]
    assert posted.blocks[0]["text"]["text"] == "📊 billing-daily digest"
    section = posted.blocks[1]["text"]["text"]
    assert section.startswith("*Summary — Billing, last 1 day*")
    assert "New 1 · open 1" in section
    assert posted.blocks[-1]["elements"][0]["text"] == "Due Mon 2026-11-23 09:00 Europe/Berlin"
    methods = [c.method for c in slack.calls if c.method.startswith(("files.", "upload"))]
    assert methods == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    [shared] = slack.shared_files(CHANNEL)
    assert shared.filename == "billing-daily-20261123-0800.png"
    assert shared.title == "billing-daily: last 14 days"
    assert _png_size(shared.content or b"") == (WIDTH_PX, HEIGHT_PX)


@pytest.mark.both_db
def test_a_failed_upload_is_retried_without_posting_the_summary_twice(
    deps: Deps, worker: Delivery, slack: SlackStandIn, time_source: ManualTime
) -> None:
    time_source.advance(MONDAY - time_source.now())
    with deps.db.session() as s:
        digests.run(s, _digest(deps.config), config=deps.config, now=time_source.now())
    slack.fail("files.completeUploadExternal", Fault(status=500, error="internal_error"))
    drain(worker)
    assert slack.shared_files(CHANNEL) == []
    time_source.advance(timedelta(minutes=10))
    drain(worker)
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert len(slack.shared_files(CHANNEL)) == 1
    assert len(slack.calls_to("files.getUploadURLExternal")) == 2, "a new URL per attempt"


def test_the_worker_schedules_each_digest_in_its_time_zone(deps: Deps) -> None:
    scheduler = build_scheduler(deps, background=True)
    job = scheduler.get_job("digest:billing-daily")
    assert job is not None
    assert str(job.trigger.timezone) == "Europe/Berlin"
    assert (
        str(job.trigger) == "cron[month='*', day='*', day_of_week='mon-fri', hour='9', minute='0']"
    )
    assert scheduler.get_job("digests_on_start") is not None
