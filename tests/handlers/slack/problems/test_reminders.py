"""A claimed problem's owner gets one DM line for the problem's due cases, not one per
case; the on-call still hears each unowned case, as before."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from bot.demo.standin import SlackStandIn
from bot.deps import Deps
from bot.outbox.runner import Delivery
from bot.timesource import ManualTime
from bot.worker import sweep_once
from config.load import parse_config
from config.schema import CasebotConfig
from tests.conftest import EXAMPLE_CONFIG, drain
from tests.handlers.slack.problems.storm import storm
from tests.handlers.slack.problems.test_storm import ingest
from tests.support.flows import ANA, SUPPORT_MGR
from tests.support.slackreq import SlackClientSim

pytestmark = pytest.mark.both_db


@pytest.fixture
def config() -> CasebotConfig:
    """First response for `normal` posts in 10 minutes."""
    extra = """
sla:
  policies:
    urgent: {first_response: 15m, next_response: 30m, resolution: 4h}
    high: {first_response: 1h, next_response: 2h, resolution: 1d}
    normal: {first_response: 10m, next_response: 20m, resolution: 1d}
    low: {first_response: 1d, next_response: 2d, resolution: 5d}
"""
    return parse_config(EXAMPLE_CONFIG.read_text() + extra)


def _dm_texts(slack: SlackStandIn, user: str) -> list[str]:
    return [str(m.blocks) for m in slack.channel("D" + user.lstrip("UW"))]


def test_the_problem_owner_hears_one_line_the_oncall_each_case(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    time_source: ManualTime,
) -> None:
    for i, text in enumerate(storm(6)):
        ingest(http, i + 1, text)
    drain(worker)
    assert user.command("problem claim P-1", user=ANA).status_code == 200
    time_source.advance(timedelta(minutes=5))
    sweep_once(deps)
    drain(worker)
    [owner_dm] = _dm_texts(slack, ANA)
    assert owner_dm.count("P-1") == 1
    assert "P-1* (yours): 6 of its cases need an answer" in owner_dm
    assert all(f"C-{n}" in owner_dm for n in range(1, 7))
    [manager_dm] = _dm_texts(slack, SUPPORT_MGR)
    assert manager_dm.count("owner: nobody") == 6  # the on-call still hears each case

    time_source.advance(timedelta(minutes=6))
    sweep_once(deps)
    drain(worker)
    breach = _dm_texts(slack, ANA)[-1]
    assert "6 past the deadline" in breach
