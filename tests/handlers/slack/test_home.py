"""App Home, list pages and Open buttons through signed Slack requests to the real Bolt app;
assertions are on what the Slack stand-in received."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from bot.app import WebApp
from bot.demo.standin import SlackStandIn
from bot.deps import Deps
from bot.outbox.runner import Delivery
from bot.reading import ListQuery, ListScope
from bot.slack import ids, lists
from handlers.slack import pages
from tests.conftest import drain, post_json, sample_post
from tests.support.slackreq import SlackClientSim, signed_headers

ANA = "U0ANA0001"


@pytest.fixture
def app(web: WebApp) -> WebApp:
    return web


def event(http: FlaskClient, inner: dict[str, Any]) -> TestResponse:
    """An Events API `event_callback`, sent as Slack sends it: JSON, signed."""
    body = json.dumps(
        {
            "token": "legacy",
            "team_id": "T1",
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": f"Ev{time.time_ns()}",
            "event_time": int(time.time()),
            "event": inner,
        }
    )
    headers = {**signed_headers(body), "Content-Type": "application/json"}
    return http.post("/slack/events", data=body, headers=headers)


def home_opened(http: FlaskClient, tab: str = "home", user: str = ANA) -> TestResponse:
    inner = {"type": "app_home_opened", "user": user, "channel": "D0ANA", "tab": tab}
    return event(http, {**inner, "event_ts": "1700000000.1"})


def home_click(http: FlaskClient, action_id: str, value: str) -> TestResponse:
    """A button in App Home: a view container, a trigger, and no `response_url`."""
    payload = {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "acme"},
        "user": {"id": ANA, "username": "ana", "team_id": "T1"},
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": "trig.home",
        "container": {"type": "view", "view_id": "V1"},
        "view": {"id": "V1", "type": "home", "blocks": []},
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b", "value": value}],
    }
    body = urlencode({"payload": json.dumps(payload)})
    return http.post("/slack/events", data=body, headers=signed_headers(body))


def _cases(http: FlaskClient, worker: Delivery, n: int) -> None:
    for i in range(1, n + 1):
        assert post_json(http, "web", sample_post(i, f"Order {i} is late")).status_code == 202
    drain(worker)


def _text(blocks: Any) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_opening_app_home_publishes_the_persons_home(
    app: WebApp, http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    _cases(http, worker, 3)
    user.click("case_claim", '{"case":2}', user=ANA)

    assert home_opened(http).status_code == 200
    [published] = slack.views
    assert (published["method"], published["user_id"]) == ("views.publish", ANA)
    view = published["view"]
    assert view["type"] == "home"
    text = _text(view["blocks"])
    assert "My open cases" in text and "Customer Support unclaimed queue" in text
    mine, queue = text.split("unclaimed queue")[0], text.split("unclaimed queue")[1]
    assert "*C-2*" in mine and "*C-1*" not in mine
    assert "*C-1*" in queue.split("Breaching soon")[0] and "*C-3*" in queue
    assert "Order 2 is late" in text


def test_other_tabs_publish_nothing(app: WebApp, http: FlaskClient, slack: SlackStandIn) -> None:
    assert home_opened(http, tab="messages").status_code == 200
    assert slack.views == []


def test_page_buttons_edit_the_list_in_place(
    app: WebApp, http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    _cases(http, worker, lists.LIST_PAGE_SIZE + 3)
    value = ids.list_page_value(ListQuery(ListScope.UNCLAIMED, None, 2))
    assert user.click(ids.ActionId.CASE_LIST_NEXT.value, value).status_code == 200

    [(_, answer)] = slack.responses
    assert (answer["replace_original"], answer["response_type"]) == (True, "ephemeral")
    text = _text(answer["blocks"])
    assert "23 cases, page 2 of 2" in text
    assert [f"*C-{n}*" in text for n in (20, 21, 22, 23)] == [False, True, True, True]
    assert ids.ActionId.CASE_LIST_PREV.value in text
    assert ids.ActionId.CASE_LIST_NEXT.value not in text


def test_page_button_with_a_bad_value_is_answered(
    app: WebApp, http: FlaskClient, slack: SlackStandIn, user: SlackClientSim
) -> None:
    forged = json.dumps({"scope": "open", "dept": "<!channel>", "page": 1})
    user.click(ids.ActionId.CASE_LIST_PREV.value, "{not json")
    user.click(ids.ActionId.CASE_LIST_PREV.value, forged)
    answers = [a for _, a in slack.responses]
    assert [a["replace_original"] for a in answers] == [False, False]
    assert "out of date" in answers[0]["text"]
    assert answers[1]["text"].startswith("There is no such department")
    assert "<!channel>" not in answers[1]["text"]


def test_open_button_in_a_message_answers_the_clicker_alone(
    app: WebApp, http: FlaskClient, worker: Delivery, slack: SlackStandIn, user: SlackClientSim
) -> None:
    _cases(http, worker, 1)
    user.click("case_claim", '{"case":1}')
    user.click(ids.ActionId.CASE_OPEN.value, '{"case":1}')
    user.click(ids.ActionId.CASE_OPEN.value, '{"case":99}')

    [(_, detail), (_, missing)] = slack.responses
    assert (detail["response_type"], detail["replace_original"]) == ("ephemeral", False)
    text = _text(detail["blocks"])
    assert "Order 1 is late" in text and "Timeline" in text and "Claimed" in text
    assert missing["text"] == "There is no case C-99."


def test_open_button_in_app_home_opens_a_modal(
    app: WebApp, http: FlaskClient, worker: Delivery, slack: SlackStandIn
) -> None:
    _cases(http, worker, 1)
    assert home_click(http, ids.ActionId.CASE_OPEN.value, '{"case":1}').status_code == 200
    [opened] = slack.views
    assert (opened["method"], opened["trigger_id"]) == ("views.open", "trig.home")
    assert opened["view"]["type"] == "modal" and opened["view"]["title"]["text"] == "C-1"
    assert "Order 1 is late" in _text(opened["view"]["blocks"])
    assert slack.responses == []


def test_list_and_show_answers_for_the_command(
    app: WebApp, deps: Deps, http: FlaskClient, worker: Delivery
) -> None:
    _cases(http, worker, 2)
    text, blocks = pages.list_answer(deps, ANA, ListQuery(ListScope.OPEN, "support", 1))
    assert text == "Open cases · support: 2 cases" and "*C-2*" in _text(blocks)
    text, blocks = pages.show_answer(deps, 2)
    assert text.startswith("C-2: Order 2 is late") and blocks
