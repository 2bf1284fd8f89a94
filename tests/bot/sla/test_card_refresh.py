"""The card's clock line stays true as time passes: deadlines as Slack date tokens, and
relative words re-rendered by the sweep at every threshold, reminded or not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient

from bot.demo.standin import Message, SlackStandIn
from bot.deps import Deps
from bot.outbox.runner import Delivery
from bot.reading import SnoozeChoice
from bot.slack import ids
from bot.timesource import ManualTime
from bot.worker import sweep_once
from config.load import parse_config
from config.schema import CasebotConfig
from tests.conftest import EXAMPLE_CONFIG, START, drain, post_json, sample_post
from tests.handlers.slack.workflow.test_clock_lines import sla_line
from tests.support.slackreq import SlackClientSim

pytestmark = pytest.mark.both_db

ANA = "U0ANA0001"
SUPPORT = "C0SUPPORT01"
DUE = START + timedelta(minutes=10)


@pytest.fixture
def config() -> CasebotConfig:
    """`normal` posts get 10 min for a first response: warnings at 5 and 8 min."""
    extra = """
sla:
  policies:
    urgent: {first_response: 15m, next_response: 30m, resolution: 4h}
    high: {first_response: 1h, next_response: 2h, resolution: 1d}
    normal: {first_response: 10m, next_response: 20m, resolution: 1d}
    low: {first_response: 1d, next_response: 2d, resolution: 5d}
"""
    return parse_config(EXAMPLE_CONFIG.read_text() + extra)


def token(at: datetime) -> str:
    fallback = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def first_response(card: Message) -> str:
    return sla_line(card).removeprefix("⏱️ ").split(" · ")[0]


def _tick(deps: Deps, time_source: ManualTime, worker: Delivery, minutes: float) -> None:
    time_source.advance(timedelta(minutes=minutes))
    sweep_once(deps)
    drain(worker)


def _card(slack: SlackStandIn) -> Message:
    [card] = slack.channel(SUPPORT)
    return card


def test_the_card_follows_the_clock_through_each_threshold_to_the_breach(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    time_source: ManualTime,
    user: SlackClientSim,
) -> None:
    post_json(http, "web", sample_post(1))
    user.command("claim 1", user=ANA)
    drain(worker)
    assert first_response(_card(slack)) == f"first response due {token(DUE)} (in 10 min)"
    resolution = sla_line(_card(slack)).split(" · ")[1]
    assert resolution == f"resolution due {token(START + timedelta(days=1))} (in 1 d)"

    _tick(deps, time_source, worker, 4)
    assert first_response(_card(slack)) == f"first response due {token(DUE)} (in 10 min)"
    _tick(deps, time_source, worker, 1)
    assert first_response(_card(slack)) == f"first response due {token(DUE)} (in 5 min)"
    _tick(deps, time_source, worker, 3)
    assert first_response(_card(slack)) == f"first response due {token(DUE)} (in 2 min)"
    _tick(deps, time_source, worker, 2)
    assert first_response(_card(slack)) == f"first response BREACHED (was due {token(DUE)})"
    assert "case_take_over" in str(_card(slack).blocks), "others may rescue it now"

    edits = _card(slack).edits
    _tick(deps, time_source, worker, 60)
    assert _card(slack).edits == edits, "after the breach nothing on the card goes stale"
    assert "ago" not in sla_line(_card(slack))


def test_a_snoozed_warning_still_refreshes_the_card_when_its_threshold_passes(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    time_source: ManualTime,
    user: SlackClientSim,
) -> None:
    post_json(http, "web", sample_post(1))
    user.command("claim 1", user=ANA)
    _tick(deps, time_source, worker, 5)
    user.click("snooze_choice", ids.snooze_value(SnoozeChoice(1, 30)), user=ANA)
    drain(worker)
    dms = len(slack.channel("D" + ANA.lstrip("U")))

    _tick(deps, time_source, worker, 3)
    assert len(slack.channel("D" + ANA.lstrip("U"))) == dms, "the 80% reminder waits"
    assert first_response(_card(slack)) == f"first response due {token(DUE)} (in 2 min)"


def test_a_late_sweep_edits_the_card_once_however_many_thresholds_passed(
    deps: Deps, http: FlaskClient, worker: Delivery, slack: SlackStandIn, time_source: ManualTime
) -> None:
    post_json(http, "web", sample_post(1))
    drain(worker)
    edits = _card(slack).edits
    _tick(deps, time_source, worker, 60)
    assert _card(slack).edits == edits + 1, "warn50, warn80 and breach: one edit"
    assert first_response(_card(slack)) == f"first response BREACHED (was due {token(DUE)})"
    assert "case_claim" in str(_card(slack).blocks)
    for _ in range(3):
        _tick(deps, time_source, worker, 1)
    assert _card(slack).edits == edits + 1, "nothing new crossed, nothing re-rendered"


def test_the_demo_card_and_its_thread_agree_three_hours_later(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.demo import run_demo

    run_demo()
    out = capsys.readouterr().out
    support = out[out.index("--- #support") : out.index("--- #billing")]
    assert "⏱️ first response due 2026-11-23 13:00 UTC (in 1 h)" in support
    assert "↳ ⏳ first response due in 1 h — nobody owns this case" in support
