"""What people see after a sequence of changes: the right thread for every timeline
line, the pointer an escalation leaves behind, decided drafts, the `/case show`
timeline and the short answers. Signed requests into the real Bolt app; assertions on
what the Slack stand-in received."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from bot.clock import ManualClock
from bot.deps import Deps
from bot.listing import SnoozeChoice
from bot.slack.outbox import Delivery
from bot.slack.views import snooze_value
from bot.worker import sweep_once
from tests.conftest import drain
from tests.fakes.slack_api import SlackStandIn
from tests.flows import (
    ANA,
    BEN,
    HOSTILE,
    SUPPORT,
    answers,
    blocks_text,
    button_ids,
    only_card,
    open_case,
    thread_texts,
)
from tests.slackforms import send, view_submission
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


def test_take_over_tells_the_clicker_whose_case_it_was(
    deps: Deps,
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    clock: ManualClock,
) -> None:
    open_case(http, worker)
    user.command("claim 1", user=BEN)
    clock.advance(timedelta(days=2))
    sweep_once(deps)
    drain(worker)
    card = only_card(slack, SUPPORT)
    assert "case_take_over" in button_ids(card), "the breached card offers Take over"

    user.click("case_take_over", '{"case":1}', user=ANA)
    drain(worker)
    assert answers(slack) == ["You own C-1 now.", f"You own C-1 now; it was <@{BEN}>'s."]
    assert f"Owner: <@{ANA}>" in blocks_text(only_card(slack, SUPPORT))
    assert thread_texts(slack, card)[-1] == f"🛟 Taken over by <@{ANA}>"

    user.click("case_take_over", '{"case":1}', user=ANA)
    assert answers(slack)[-1] == "C-1: you already own it."


def _show(user: SlackClientSim, slack: SlackStandIn, case: str = "1") -> list[str]:
    """The timeline lines of `/case show`, as Slack received them."""
    user.command(f"show {case}", user=ANA)
    _, body = slack.responses[-1]
    blocks = body["blocks"]
    [header] = [i for i, b in enumerate(blocks) if b["type"] == "header"]
    return [line for b in blocks[header + 1 :] for line in b["text"]["text"].split("\n")]


def test_show_names_people_as_mentions_and_keeps_typed_text_escaped(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    user.command(f"assign 1 <@{BEN}|ben>", user=ANA)
    user.command(f"assign 1 <@{ANA}>", user=BEN)
    user.command(f"note 1 {HOSTILE}", user=ANA)
    user.command(f"escalate 1 billing <@{BEN}> {HOSTILE}", user=ANA)
    lines = [line.split(" · ", 2)[2] for line in _show(user, slack)]
    escaped = HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert lines[1:] == [
        f"Assigned to <@{BEN}>",
        f"Assigned to <@{ANA}> (was <@{BEN}>)",
        f"Note: {escaped}",
        f"Escalated from support to billing (<@{BEN}>): {escaped}",
    ]


def test_snooze_reason_shows_in_the_thread_and_in_show(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    open_case(http, worker)
    reason = "at lunch <!channel> & back at 2"
    escaped = "at lunch &lt;!channel&gt; &amp; back at 2"
    user.click("snooze_with_reason", '{"case":1}', user=ANA)
    view = slack.views[-1]["view"]
    send(user, view_submission(view, {"snooze_minutes": "60", "snooze_reason": reason}, user=ANA))
    user.click("snooze_choice", snooze_value(SnoozeChoice(1, 30)), user=BEN)
    drain(worker)
    assert thread_texts(slack, only_card(slack, SUPPORT)) == [
        f"😴 <@{ANA}> snoozed reminders for 60 min: {escaped}",
        f"😴 <@{BEN}> snoozed reminders for 30 min",
    ]
    assert [line.split(" · ", 2)[2] for line in _show(user, slack)][1:] == [
        f"Snoozed reminders for 60 min: {escaped}",
        "Snoozed reminders for 30 min",
    ]
