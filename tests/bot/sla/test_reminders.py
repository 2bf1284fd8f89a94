"""SLA clocks and reminders end to end: ingest → sweep → DMs and thread lines in Slack."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from bot import cases
from bot.demo.standin import SlackStandIn
from bot.deps import Deps
from bot.ids import Surface
from bot.outbox.runner import Delivery
from bot.reading import SnoozeChoice
from bot.slack import ids
from bot.timesource import ManualTime
from bot.worker import delivery, sweep_once
from config.load import parse_config
from config.schema import CasebotConfig
from storage.models import Reminder
from tests.conftest import EXAMPLE_CONFIG, count, drain, post_json, sample_post
from tests.support.slackreq import SlackClientSim

pytestmark = pytest.mark.both_db

MANAGER = "U0SUPMGR01"
ANA, BEN = "U0ANA0001", "U0BEN0002"
SUPPORT = "C0SUPPORT01"


@pytest.fixture
def config() -> CasebotConfig:
    """The example config with short windows for `normal` posts (first response 10 min)."""
    extra = """
sla:
  policies:
    urgent: {first_response: 15m, next_response: 30m, resolution: 4h}
    high: {first_response: 1h, next_response: 2h, resolution: 1d}
    normal: {first_response: 10m, next_response: 20m, resolution: 1d}
    low: {first_response: 1d, next_response: 2d, resolution: 5d}
"""
    return parse_config(EXAMPLE_CONFIG.read_text() + extra)


def _dms(slack: SlackStandIn, user: str) -> list[Any]:
    return slack.channel("D" + user.lstrip("UW"))


def _open(http: FlaskClient, worker: Delivery, n: int = 1) -> None:
    assert post_json(http, "web", sample_post(n, f"Question {n}")).status_code == 202
    drain(worker)


def _tick(deps: Deps, time_source: ManualTime, worker: Delivery, minutes: float) -> None:
    time_source.advance(timedelta(minutes=minutes))
    sweep_once(deps)
    drain(worker)


def test_unowned_case_warns_oncall_in_dm_and_thread_then_breaches(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, time_source: ManualTime
) -> None:
    _open(http, worker)
    _tick(deps, time_source, worker, 4)
    assert _dms(slack, MANAGER) == [], "nothing before 50%"
    _tick(deps, time_source, worker, 1)
    [dm] = _dms(slack, MANAGER)
    assert dm.text == "⏰ 1 SLA reminder"
    assert "first response due in 5 min" in str(dm.blocks)
    [card] = slack.channel(SUPPORT)
    [line] = slack.thread(SUPPORT, card.ts)
    assert line.text.startswith("⏳ first response due in 5 min — nobody owns this case")
    assert all(
        c.args.get("reply_broadcast") is False
        for c in slack.calls_to("chat.postMessage")
        if c.args.get("thread_ts")
    )

    _tick(deps, time_source, worker, 5)
    assert "BREACHED" in str(_dms(slack, MANAGER)[-1].blocks)
    assert "first response BREACHED" in str(slack.channel(SUPPORT)[0].blocks), "card marked"


def test_owned_case_dms_only_the_owner(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    time_source: ManualTime,
    user: SlackClientSim,
) -> None:
    _open(http, worker)
    user.command("claim 1", user=ANA)
    drain(worker)
    _tick(deps, time_source, worker, 5)
    assert len(_dms(slack, ANA)) == 1
    assert _dms(slack, MANAGER) == []
    [card] = slack.channel(SUPPORT)
    assert [m.text for m in slack.thread(SUPPORT, card.ts)] == [f"🙋 Claimed by <@{ANA}>"]


def test_one_dm_per_person_per_sweep_not_one_per_case(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, time_source: ManualTime
) -> None:
    for n in (1, 2, 3):
        _open(http, worker, n)
    _tick(deps, time_source, worker, 5)
    [dm] = _dms(slack, MANAGER)
    assert dm.text == "⏰ 3 SLA reminders"


def test_resolved_or_paused_cases_get_no_reminder(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    time_source: ManualTime,
    user: SlackClientSim,
) -> None:
    _open(http, worker, 1)
    _open(http, worker, 2)
    user.command("resolve 1")
    user.command("wait 2")
    _tick(deps, time_source, worker, 30)
    assert _dms(slack, MANAGER) == []
    back = sample_post(3, "I am back", in_reply_to="p2")
    back["author"] = sample_post(2)["author"]
    assert post_json(http, "web", back).get_json()["case"] == "C-2"
    drain(worker)
    _tick(deps, time_source, worker, 5)
    assert len(_dms(slack, MANAGER)) == 1, "the customer's message resumed the clock"


def test_case_resolved_after_sweep_but_before_delivery_is_not_sent(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, time_source: ManualTime
) -> None:
    _open(http, worker)
    time_source.advance(timedelta(minutes=5))
    sweep_once(deps)
    with deps.db.session() as s:
        cases.resolve(
            s, 1, actor=ANA, surface=Surface.COMMAND, now=time_source.now(), config=deps.config
        )
    drain(worker)
    assert _dms(slack, MANAGER) == []


def test_each_reminder_once_across_repeated_sweeps_and_restarts(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, time_source: ManualTime
) -> None:
    _open(http, worker)
    time_source.advance(timedelta(minutes=5))
    for _ in range(3):
        sweep_once(deps)
    drain(delivery(deps))
    assert len(_dms(slack, MANAGER)) == 1
    with deps.db.session() as s:
        assert count(s, Reminder) == 1


def test_two_workers_sweeping_at_once_send_each_reminder_once(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, time_source: ManualTime
) -> None:
    for n in range(1, 21):
        post_json(http, "web", sample_post(n, f"Question {n}"))
    drain(worker)
    time_source.advance(timedelta(minutes=5))
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        sweep_once(deps)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    drain(worker)
    with deps.db.session() as s:
        assert count(s, Reminder) == 20
    # On PostgreSQL two sweeps at once may split the due clocks between them (SKIP
    # LOCKED), so the manager may get one DM from each: every reminder is in one of them.
    dms = _dms(slack, MANAGER)
    assert 1 <= len(dms) <= 2
    counts = [re.fullmatch(r"⏰ (\d+) SLA reminders?", dm.text) for dm in dms]
    assert sum(int(m.group(1)) for m in counts if m) == 20, [dm.text for dm in dms]
    refs = re.findall(r"\|(C-\d+)>", " ".join(str(dm.blocks) for dm in dms))
    assert refs and len(refs) == len(set(refs)), "no case listed twice"


def test_an_hour_outage_collapses_warnings_and_still_reports_the_breach(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, time_source: ManualTime
) -> None:
    _open(http, worker)
    _tick(deps, time_source, worker, 60)
    [dm] = _dms(slack, MANAGER)
    assert "BREACHED 50 min ago" in str(dm.blocks)
    assert "due in" not in str(dm.blocks)
    with deps.db.session() as s:
        assert count(s, Reminder) == 3, "warn50, warn80 and breach all claimed"


def test_snooze_delays_the_next_warning_but_not_the_breach(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    time_source: ManualTime,
    user: SlackClientSim,
) -> None:
    _open(http, worker)
    user.command("claim 1", user=ANA)
    _tick(deps, time_source, worker, 5)
    assert len(_dms(slack, ANA)) == 1
    user.click("snooze_choice", ids.snooze_value(SnoozeChoice(1, 30)), user=ANA)
    assert slack.responses[-1][1]["text"] == "Snoozed C-1 for 30 min."
    _tick(deps, time_source, worker, 3)
    assert len(_dms(slack, ANA)) == 1, "the 80% warning waits for the snooze"
    _tick(deps, time_source, worker, 2)
    assert len(_dms(slack, ANA)) == 2 and "BREACHED" in str(_dms(slack, ANA)[-1].blocks)


@pytest.fixture
def office_config() -> CasebotConfig:
    extra = """
sla:
  calendars:
    office:
      timezone: Europe/Berlin
      hours: {mon-fri: "09:00-17:00"}
  policies:
    urgent: {first_response: 15m, next_response: 30m, resolution: 4h}
    high: {first_response: 1h, next_response: 2h, resolution: 1d}
    normal: {first_response: 2h, next_response: 4h, resolution: 3d, calendar: office}
    low: {first_response: 1d, next_response: 2d, resolution: 5d, calendar: office}
"""
    return parse_config(EXAMPLE_CONFIG.read_text() + extra)


def test_business_hours_policy_warns_only_inside_business_hours(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    time_source: ManualTime,
    office_config: CasebotConfig,
) -> None:
    deps.config = office_config
    worker = delivery(deps)
    time_source.advance(timedelta(hours=7))  # Monday 16:00 UTC = 17:00 Berlin: the office closed
    _open(http, worker)
    [card] = slack.channel(SUPPORT)
    tuesday_11_berlin = int(datetime(2026, 11, 24, 10, 0, tzinfo=UTC).timestamp())
    due = f"<!date^{tuesday_11_berlin}^{{date_short_pretty}} {{time}}|2026-11-24 10:00 UTC>"
    assert f"first response due {due} ·" in str(card.blocks), "18 h from now, in real time"
    assert "(in " not in str(card.blocks), "real time left would shrink overnight unseen"
    _tick(deps, time_source, worker, 60 * 8)
    assert _dms(slack, MANAGER) == [], "no page at night for a business-hours policy"
    _tick(deps, time_source, worker, 60 * 9)  # Tuesday 09:00 UTC = 10:00 Berlin: 50% reached
    assert len(_dms(slack, MANAGER)) == 1


def test_readme_worked_example_of_business_hours() -> None:
    """The README's worked example, computed by the code that runs in production."""
    from zoneinfo import ZoneInfo

    from bot.sla import calendar
    from config.load import load_config

    berlin = ZoneInfo("Europe/Berlin")
    office = load_config(EXAMPLE_CONFIG).sla.calendar("office")
    start = datetime(2026, 11, 27, 16, 0, tzinfo=berlin)
    due = calendar.add_business_time(office, start, timedelta(days=1))
    assert due == datetime(2026, 12, 2, 16, 0, tzinfo=berlin)
