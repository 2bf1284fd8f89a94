"""Delivery under faults, from outside (issue 9): the project's real processes, the
Slack stand-in, and every card, thread line and DM counted per outbox key. 0 lost,
0 doubled, no 5xx but 503s, and the workers' counters say what happened."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.demo.standin import Fault, SlackStandIn
from tests.faults.delivery import Casebot, cards, doubled, running, server_errors

pytestmark = pytest.mark.both_db

FAST = {
    "OUTBOX_LEASE_SECONDS": "6",
    "SLACK_TIMEOUT_SECONDS": "3",
    "SLACK_CHANNEL_RATE": "0",
}
"""A short lease (a dead worker's rows are taken over in seconds) over a short client
timeout, so the kill rounds fit in CI's time; pacing is the subject of other tests."""


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    slack = SlackStandIn()
    slack.index_delay = 1.0
    slack.start()
    yield slack
    slack.stop()


@pytest.fixture
def bot(tmp_path: Path, standin: SlackStandIn, db_url: str) -> Iterator[Casebot]:
    yield from running(Casebot(tmp_path, standin, db_url, env_extra=dict(FAST)))


def test_kill_9_of_everything_at_random_moments_loses_and_doubles_nothing(
    bot: Casebot, standin: SlackStandIn
) -> None:
    rounds, per_round = 3, 30
    rng = random.Random(9)
    bot.start(workers=1)
    for r in range(rounds):
        pool = bot.burst(range(r * per_round, (r + 1) * per_round))
        time.sleep(rng.uniform(0.3, 2.5))
        bot.kill9()
        bot.start(workers=1)
        pool.shutdown(wait=True)
    drained = bot.wait_drained(120)
    print(f"startups {bot.startups} drained {drained:.1f}s")
    assert bot.cases() == rounds * per_round
    assert cards(standin) == rounds * per_round, "every accepted post became one card"
    assert doubled(standin) == {}
    assert server_errors(bot.codes) == []


def test_two_workers_with_deliveries_held_past_the_lease_post_each_once(
    tmp_path: Path, standin: SlackStandIn, db_url: str
) -> None:
    """Each post takes Slack 5 s, longer than the 3 s lease: the holder renews it while
    its call is in flight, so the other worker never takes the row over."""
    env = {"OUTBOX_LEASE_SECONDS": "3", "SLACK_TIMEOUT_SECONDS": "8", "SLACK_CHANNEL_RATE": "0"}
    for bot in running(Casebot(tmp_path, standin, db_url, env_extra=env)):
        standin.fail("chat.postMessage", Fault(delay=5, times=6))
        bot.start(workers=2)
        bot.burst(range(12)).shutdown(wait=True)
        bot.wait_drained(120)
        assert cards(standin) == 12
        assert doubled(standin) == {}
        counted = bot.metrics()
        assert counted['casebot_outbox_delivered_total{kind="card"}'] == 12
        assert counted.get('casebot_outbox_adopted_total{kind="card"}', 0) == 0


def test_slack_answering_after_the_client_timeout_is_adopted_not_posted_again(
    bot: Casebot, standin: SlackStandIn
) -> None:
    """The call times out at 3 s; Slack stores the card at 5 s and indexes it at 6 s.
    The retry waits that out, finds the card by its key, and adopts it."""
    standin.fail("chat.postMessage", Fault(delay=5, times=2))
    bot.start(workers=1)
    bot.burst(range(6)).shutdown(wait=True)
    bot.wait_drained(90)
    assert cards(standin) == 6
    assert doubled(standin) == {}
    counted = bot.metrics()
    assert counted['casebot_outbox_adopted_total{kind="card"}'] >= 2
    assert counted['casebot_outbox_delivered_total{kind="card"}'] == 6
    assert counted['casebot_outbox_retried_total{kind="card"}'] >= 2


def test_a_429_storm_on_one_channel_holds_that_channel_while_the_others_flow(
    bot: Casebot, standin: SlackStandIn
) -> None:
    storm = Fault(status=429, headers={"Retry-After": "4"}, channel="C0SUPPORT01", times=3)
    standin.fail("chat.postMessage", storm)
    bot.start(workers=1, SLACK_CHANNEL_RATE="1")
    start = time.monotonic()
    bot.burst(range(18)).shutdown(wait=True)
    others = {"C0BILLING01", "C0LOGISTIC1"}
    while sum(len(standin.channel(c)) for c in others) < 12:
        assert time.monotonic() - start < 30, "the other channels were held up"
        time.sleep(0.1)
    others_done = time.monotonic() - start
    bot.wait_drained(90)
    support_done = time.monotonic() - start
    assert cards(standin) == 18 and doubled(standin) == {}
    assert others_done < 12 < support_done, (others_done, support_done)
    counted = bot.metrics()
    assert counted['casebot_slack_rate_limited_total{method="chat.postMessage"}'] == 3
    assert counted['casebot_slack_retry_after_seconds_total{method="chat.postMessage"}'] == 12
    assert counted['casebot_outbox_retried_total{kind="card"}'] == 3
    posts = [c for c in standin.calls_to("chat.postMessage") if c.args["channel"] == "C0SUPPORT01"]
    assert len(posts) == 6 + 3, "after each 429 the channel waited; nothing was tried meanwhile"
