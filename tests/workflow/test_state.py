"""What people see after a sequence of changes: the right thread for every timeline
line, the pointer an escalation leaves behind, decided drafts, the `/case show`
timeline and the short answers. Signed requests into the real Bolt app; assertions on
what the Slack stand-in received."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from bot.slack.outbox import Delivery
from tests.fakes.slack_api import SlackStandIn
from tests.flows import ANA, open_case
from tests.slackreq import SlackClientSim

pytestmark = pytest.mark.both_db


def test_list_counts_one_case_in_the_singular(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    user.command("list open", user=ANA)
    open_case(http, worker, 2)
    user.command("list open", user=ANA)
    [(_, one), (_, two)] = slack.responses
    assert one["text"] == "Open cases: 1 case"
    assert one["blocks"][0]["text"]["text"] == "*Open cases* — 1 case"
    assert two["text"] == "Open cases: 2 cases"
