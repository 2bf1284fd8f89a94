"""Case and reply ids past 32 bits, which the grammar and buttons accept: on PostgreSQL
(INTEGER columns) they name no row, and say so, instead of failing the query."""

from __future__ import annotations

import json

import pytest

from bot.demo.standin import SlackStandIn
from bot.slack import ids
from tests.support.slackreq import SlackClientSim

pytestmark = pytest.mark.both_db

TYPED = (2**31, 2**31 + 1, 999_999_999_999)
"""What the grammar reads: at most 12 digits."""
IDS = (*TYPED, 2**63)


def _answers(slack: SlackStandIn) -> list[str]:
    return [args["text"] for _, args in slack.responses]


@pytest.mark.parametrize("case_id", TYPED)
def test_commands_on_a_huge_case_id_say_there_is_no_such_case(
    user: SlackClientSim, slack: SlackStandIn, case_id: int
) -> None:
    commands = ("claim", "unclaim", "show", "note {} hi", "reopen", "resolve", "wait")
    for command in commands:
        text = command.format(f"C-{case_id}") if "{}" in command else f"{command} {case_id}"
        assert user.command(text).status_code == 200
    assert _answers(slack) == [f"There is no case C-{case_id}."] * len(commands)


@pytest.mark.parametrize("case_id", IDS)
def test_buttons_with_a_huge_case_id_say_there_is_no_such_case(
    user: SlackClientSim, slack: SlackStandIn, case_id: int
) -> None:
    value = json.dumps({"case": case_id})
    actions = [ids.ActionId.CLAIM, ids.ActionId.TAKE_OVER, ids.ActionId.WAIT, ids.ActionId.ESCALATE]
    for action in actions:
        assert user.click(action.value, value).status_code == 200
    snooze = json.dumps({"case": case_id, "min": 30})
    assert user.click(ids.ActionId.SNOOZE_CHOICE.value, snooze).status_code == 200
    assert _answers(slack) == [f"There is no case C-{case_id}."] * (len(actions) + 1)


def test_a_huge_reply_id_is_no_longer_waiting(user: SlackClientSim, slack: SlackStandIn) -> None:
    for reply_id in (2**31, 2**63, "1e400"):
        value = json.dumps({"reply": reply_id})
        assert user.click(ids.ActionId.APPROVE_REPLY.value, value).status_code == 200
    assert _answers(slack) == [
        "C-0: that reply is no longer waiting for approval.",
        "C-0: that reply is no longer waiting for approval.",
        "That button is out of date; open the case with /case show.",
    ]


def test_a_huge_page_in_a_button_is_out_of_date(user: SlackClientSim, slack: SlackStandIn) -> None:
    value = json.dumps({"scope": "open", "dept": None, "page": 10**30})
    assert user.click(ids.ActionId.CASE_LIST_NEXT.value, value).status_code == 200
    assert _answers(slack) == ["That list is out of date; run /case list again."]


def test_a_forged_response_url_is_an_undelivered_answer(
    user: SlackClientSim, slack: SlackStandIn
) -> None:
    """Found by the door fuzz: a `response_url` that is no URL (`"0"`) made the answer
    raise `ValueError`, and the clicker was told Casebot failed."""
    resp = user.click(ids.ActionId.CLAIM.value, "", response_url="0")
    assert resp.status_code == 200
    assert "Sorry, that failed" not in resp.get_data(as_text=True)
