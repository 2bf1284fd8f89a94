"""Reveal: the card's button and `/case reveal` show the customer's text unmasked to the
one who asks, ephemerally, and leave an audit row; nobody else sees anything."""

from __future__ import annotations

import json
import logging

import pytest
from flask.testing import FlaskClient

from bot.demo.standin import SlackStandIn
from bot.deps import Deps
from bot.outbox.runner import Delivery
from tests.conftest import drain, post_json, sample_post
from tests.support.flows import audit, audit_data
from tests.support.slackreq import SlackClientSim

pytestmark = pytest.mark.both_db

ANA = "U0ANA0001"
SECRET = "Call me on +1 415 555 0100 or ana.k@example.com"


def _open_case(http: FlaskClient, worker: Delivery) -> None:
    assert post_json(http, "web", sample_post(1, SECRET)).status_code == 202
    drain(worker)


def _answer(slack: SlackStandIn) -> dict[str, object]:
    [(_, answer)] = slack.responses
    return answer


def test_the_card_masks_the_text_and_offers_reveal_beside_it(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn
) -> None:
    _open_case(http, worker)
    [card] = slack.channel("C0SUPPORT01")
    assert "555 0100" not in json.dumps(card.blocks) and "ana.k@example.com" not in card.text
    [quoted] = [b for b in card.blocks or [] if "accessory" in b]
    assert quoted["accessory"]["action_id"] == "case_reveal"
    assert json.loads(quoted["accessory"]["value"]) == {"case": 1}


def test_a_card_with_nothing_masked_offers_no_reveal(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn
) -> None:
    assert post_json(http, "web", sample_post(1, "Where is my parcel?")).status_code == 202
    drain(worker)
    [card] = slack.calls_to("chat.postMessage")
    assert "case_reveal" not in json.dumps(card.args["blocks"])


def test_reveal_button_answers_the_clicker_alone_and_is_audited(
    http: FlaskClient,
    worker: Delivery,
    slack: SlackStandIn,
    user: SlackClientSim,
    deps: Deps,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _open_case(http, worker)
    posted = len(slack.calls_to("chat.postMessage"))
    with caplog.at_level(logging.DEBUG, logger="casebot"):
        assert user.click("case_reveal", '{"case":1}', user=ANA).status_code == 200
        drain(worker)
    answer = _answer(slack)
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    assert str(answer["text"]).startswith("🔓 C-1 as the customer wrote it (only you see this")
    assert "+1 415 555 0100 or ana.k@example.com" in str(answer["text"])
    assert len(slack.calls_to("chat.postMessage")) == posted, "no thread line, no DM"
    assert slack.calls_to("chat.update") == [], "the card does not change"
    assert audit(deps)[-1] == ("revealed", ANA, "button")
    assert audit_data(deps, "revealed") == [{"post_id": 1}]
    assert "555 0100" not in caplog.text and "ana.k@" not in caplog.text


def test_case_reveal_command_and_its_line_in_case_show(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim, deps: Deps
) -> None:
    _open_case(http, worker)
    user.command("reveal C-1", user=ANA)
    assert "ana.k@example.com" in str(_answer(slack)["text"])
    assert audit(deps)[-1] == ("revealed", ANA, "command")
    slack.responses.clear()
    user.command("show C-1", user=ANA)
    shown = json.dumps(_answer(slack)["blocks"], ensure_ascii=False)
    assert "Revealed the customer&#39;s unmasked text" in shown or (
        "Revealed the customer's unmasked text" in shown
    )
    assert "ana.k@example.com" not in shown


def test_reveal_of_a_missing_case_is_refused(
    http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    user.command("reveal C-9", user=ANA)
    assert _answer(slack)["text"] == "There is no case C-9."
