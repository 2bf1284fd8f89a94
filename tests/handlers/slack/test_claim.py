"""Claiming a case by button and by command, through signed Slack requests."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from bot.demo.standin import SlackStandIn
from bot.outbox.runner import Delivery
from tests.conftest import drain, post_json, sample_post
from tests.support.slackreq import SlackClientSim

pytestmark = pytest.mark.both_db

ANA, BEN = "U0ANA0001", "U0BEN0002"


def _open_case(http: FlaskClient, worker: Delivery) -> None:
    assert post_json(http, "web", sample_post(1, "Where is my manual?")).status_code == 202
    drain(worker)


def test_claim_button_updates_card_in_place_and_threads_a_line(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    _open_case(http, worker)
    resp = user.click("case_claim", '{"case":1}', user=ANA)
    assert resp.status_code == 200
    drain(worker)

    [update] = slack.calls_to("chat.update")
    [card] = slack.channel("C0SUPPORT01")
    assert (update.args["channel"], update.args["ts"]) == ("C0SUPPORT01", card.ts)
    blocks = json.dumps(update.args["blocks"], ensure_ascii=False)
    assert f"Owner: <@{ANA}>" in blocks
    assert "case_claim" not in blocks, "a claimed card offers no Claim button"
    [line] = slack.thread("C0SUPPORT01", card.ts)
    assert line.text == f"🙋 Claimed by <@{ANA}>"
    assert slack.calls_to("chat.postMessage")[-1].args["reply_broadcast"] is False
    assert slack.responses == []


def test_second_claimer_is_told_who_owns_it(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    _open_case(http, worker)
    user.click("case_claim", '{"case":1}', user=ANA)
    user.click("case_claim", '{"case":1}', user=BEN)
    [(_, answer)] = slack.responses
    assert answer == {
        "text": f"C-1 is already owned by <@{ANA}>.",
        "response_type": "ephemeral",
        "replace_original": False,
    }


def test_claim_and_unclaim_by_command(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    _open_case(http, worker)
    assert user.command("claim C-1", user=ANA).status_code == 200
    assert user.command("claim 1", user=BEN).status_code == 200
    user.command("unclaim c-1", user=ANA)
    user.command("claim 1", user=BEN)
    drain(worker)
    texts = [r[1]["text"] for r in slack.responses]
    assert texts == [
        "You own C-1 now.",
        f"C-1 is already owned by <@{ANA}>.",
        "C-1 is back in the queue.",
        "You own C-1 now.",
    ]
    [card] = slack.channel("C0SUPPORT01")
    lines = [m.text for m in slack.thread("C0SUPPORT01", card.ts)]
    assert lines == [
        f"🙋 Claimed by <@{ANA}>",
        f"↩️ <@{ANA}> gave it back to the queue",
        f"🙋 Claimed by <@{BEN}>",
    ]
    assert f"Owner: <@{BEN}>" in json.dumps(card.blocks)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "`/case claim ID`"),
        ("help", "`/case unclaim ID`"),
        ("frobnicate 1", "Unknown command `frobnicate`."),
        ("claim", "Which case? Give its id, like C-42.\nUsage: `/case claim ID`"),
        ("claim banana", "`banana` is not a case id (try C-42 or 42)."),
        ('claim "1', "Unbalanced quotes"),
        ("claim 999", "There is no case C-999."),
        ("unclaim 1", "C-1: nobody owns it."),
    ],
)
def test_bad_commands_get_usage_never_a_stack_trace(
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    text: str,
    expected: str,
) -> None:
    _open_case(http, worker)
    assert user.command(text).status_code == 200
    [(_, answer)] = slack.responses
    assert answer["response_type"] == "ephemeral"
    assert expected in answer["text"]


def test_stale_button_value_is_answered_not_crashed(
    http: FlaskClient, slack: SlackStandIn, user: SlackClientSim
) -> None:
    assert user.click("case_claim", "not json").status_code == 200
    assert "out of date" in slack.responses[0][1]["text"]


def test_bad_slack_signature_is_rejected(http: FlaskClient, slack: SlackStandIn) -> None:
    from tests.support.slackreq import signed_headers

    body = "command=%2Fcase&text=claim+1&user_id=U1&response_url=x"
    forged = http.post(
        "/slack/events", data=body, headers=signed_headers(body, secret="not-the-secret")
    )
    stale = http.post("/slack/events", data=body, headers=signed_headers(body, ts=1_000_000_000))
    assert (forged.status_code, stale.status_code) == (401, 401)
    # Only the bot's identity, asked once when the app started; nothing for the requests.
    assert [c.method for c in slack.calls] == ["auth.test"] and slack.responses == []
