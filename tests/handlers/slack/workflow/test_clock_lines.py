"""The card's SLA line across the lifecycle: wait, resolve, reopen, and resolve again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic import command as alembic
from flask.testing import FlaskClient

from bot.demo.standin import Message, SlackStandIn
from bot.deps import Deps
from bot.outbox.runner import Delivery
from bot.timesource import ManualTime
from storage.migrate import alembic_config, upgrade
from storage.models import Case
from tests.conftest import drain
from tests.support.flows import ANA, SUPPORT, blocks_text, button_ids, only_card, open_case
from tests.support.slackreq import SlackClientSim

pytestmark = pytest.mark.both_db


def sla_line(card: Message) -> str:
    """The card's clock line (the context element that starts with the stopwatch)."""
    [line] = [
        element["text"]
        for block in card.blocks or []
        if block["type"] == "context"
        for element in block["elements"]
        if element["text"].startswith("⏱️")
    ]
    return str(line)


def test_a_pause_ends_with_the_resolve_so_a_reopened_case_runs_again(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    for command in ("wait 1", "resolve 1", "reopen 1"):
        user.command(command, user=ANA)
    drain(worker)

    card = only_card(slack, SUPPORT)
    text = blocks_text(card)
    assert "🆕 Unclaimed" in text
    assert "case_wait" in button_ids(card)
    assert "paused" not in text
    assert sla_line(card).startswith("⏱️ resolution due ")


def test_a_resolved_card_shows_each_clock_once_however_often_it_was_reopened(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    user.command("reply 1 On its way", user=ANA)
    for command in ("resolve 1", "reopen 1", "resolve 1", "reopen 1", "resolve 1"):
        user.command(command, user=ANA)
    drain(worker)

    assert sla_line(only_card(slack, SUPPORT)) == "⏱️ first response met · resolution met"


def test_the_migration_closes_pauses_that_earlier_versions_left_open(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    time_source: ManualTime,
) -> None:
    open_case(http, worker)
    user.command("wait 1", user=ANA)
    time_source.advance(timedelta(minutes=5))
    user.command("resolve 1", user=ANA)
    resolved_at = time_source.now().isoformat()
    user.command("reopen 1", user=ANA)
    with deps.db.session() as s:
        case = s.get(Case, 1)
        [[paused_at, _]] = case.pauses
        case.pauses = [[paused_at, None]]  # what a resolve used to leave behind

    alembic.downgrade(alembic_config(deps.db.url), "0002")
    upgrade(deps.db.url)

    with deps.db.session() as s:
        assert s.get(Case, 1).pauses == [[paused_at, resolved_at]]
    user.command("claim 1", user=ANA)
    drain(worker)
    assert sla_line(only_card(slack, SUPPORT)).startswith("⏱️ resolution due ")
