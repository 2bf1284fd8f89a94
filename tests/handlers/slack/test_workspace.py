"""One workspace, and no Web API call before an ack: the bot's identity is asked once at
start (and again in the background while Slack is unreachable); commands and clicks
work while Slack's Web API is down; another workspace's requests change nothing;
`/case assign` gives cases to people of the workspace only."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient
from sqlmodel import select

from bot.app import create_app
from bot.demo.standin import Fault, SlackStandIn
from bot.deps import Deps
from bot.events import Refused
from bot.slack.client import make_lookup_client
from bot.slack.identity import OTHER_WORKSPACE, Identity
from bot.slack.people import People
from storage.models import Case
from tests.conftest import post_json, sample_post
from tests.support.slackreq import SlackClientSim

ANA, BEN = "U0ANA0001", "U0BEN0002"
CLOSED = "http://127.0.0.1:1/api/"
"""A Slack Web API that does not answer (nothing listens on port 1)."""


def _owner(deps: Deps, case_id: int = 1) -> str | None:
    with deps.db.read() as session:
        return session.exec(select(Case.owner_id).where(Case.id == case_id)).one()


def _texts(slack: SlackStandIn) -> list[str]:
    return [args["text"] for _, args in slack.responses]


@pytest.mark.both_db
def test_commands_and_clicks_work_while_slacks_web_api_is_down(
    deps: Deps, slack: SlackStandIn
) -> None:
    down = replace(deps, settings=deps.settings.model_copy(update={"slack_api_url": CLOSED}))
    http = create_app(down, process_before_response=True).flask.test_client()
    user = SlackClientSim(http, slack.response_url())
    assert post_json(http, "web", sample_post(1)).status_code == 202
    assert post_json(http, "web", sample_post(2)).status_code == 202
    assert user.command("claim C-1", user=ANA).status_code == 200
    assert user.click("case_claim", '{"case":2}', user=BEN).status_code == 200
    assert _texts(slack) == ["You own C-1 now."]  # a claimed card says so itself
    assert (_owner(deps, 1), _owner(deps, 2)) == (ANA, BEN)


def test_the_identity_is_asked_once_not_per_request(
    http: FlaskClient, user: SlackClientSim, slack: SlackStandIn
) -> None:
    post_json(http, "web", sample_post(1))
    for text in ("show C-1", "claim C-1", "list", "help"):
        user.command(text)
    assert len(slack.calls_to("auth.test")) == 1


def test_the_identity_is_asked_again_until_slack_answers(deps: Deps, slack: SlackStandIn) -> None:
    slack.fail("auth.test", Fault(status=503, error="service_unavailable", times=3))
    client = make_lookup_client("xoxb-test", slack.api_url)
    identity = Identity(client, retry_seconds=(0.01,)).start()
    assert identity.known is None
    deadline = time.monotonic() + 5
    while identity.known is None:
        assert time.monotonic() < deadline, "the identity was never fetched"
        time.sleep(0.01)
    assert (identity.known.team_id, identity.known.user_id) == ("T1", "UCASEBOT")
    assert len(slack.calls_to("auth.test")) == 4


def _other_team_command(response_url: str, text: str) -> str:
    return urlencode(
        {
            "team_id": "T0OTHER",
            "team_domain": "other",
            "channel_id": "C0SUPPORT01",
            "user_id": "U0MALLORY",
            "command": "/case",
            "text": text,
            "response_url": response_url,
            "trigger_id": "trig.x",
        }
    )


def _other_team_click(response_url: str, value: str) -> str:
    payload = {
        "type": "block_actions",
        "team": {"id": "T0OTHER", "domain": "other"},
        "user": {"id": "U0MALLORY", "team_id": "T0OTHER"},
        "response_url": response_url,
        "trigger_id": "trig.y",
        "container": {"type": "message", "channel_id": "C0SUPPORT01", "message_ts": "1.1"},
        "actions": [{"type": "button", "action_id": "case_claim", "value": value}],
    }
    return urlencode({"payload": json.dumps(payload)})


@pytest.mark.both_db
def test_a_request_from_another_workspace_changes_nothing_and_says_so(
    http: FlaskClient, user: SlackClientSim, slack: SlackStandIn, deps: Deps
) -> None:
    post_json(http, "web", sample_post(1))
    resp = user.post(_other_team_command(slack.response_url(), "claim C-1"))
    assert resp.status_code == 200
    assert resp.get_json() == {"response_type": "ephemeral", "text": OTHER_WORKSPACE}
    click = user.post(_other_team_click(slack.response_url("click"), '{"case":1}'))
    assert click.status_code == 200
    deadline = time.monotonic() + 5
    while not slack.responses:
        assert time.monotonic() < deadline, "the click was never answered"
        time.sleep(0.01)
    assert slack.responses == [
        (
            "click",
            {"text": OTHER_WORKSPACE, "response_type": "ephemeral", "replace_original": False},
        )
    ]
    assert _owner(deps) is None


def _assign(user: SlackClientSim, to: str) -> None:
    assert user.command(f"assign C-1 <@{to}>", user=ANA).status_code == 200


@pytest.mark.both_db
def test_assign_refuses_the_bot_itself_and_users_that_do_not_exist(
    http: FlaskClient, user: SlackClientSim, slack: SlackStandIn, deps: Deps
) -> None:
    post_json(http, "web", sample_post(1))
    slack.gone.add("U0NOBODY1")
    _assign(user, "UCASEBOT")
    _assign(user, "U0NOBODY1")
    assert _owner(deps) is None
    _assign(user, BEN)
    assert _texts(slack) == [
        "Casebot itself cannot own a case; name a person.",
        "There is no user U0NOBODY1 in this workspace.",
        f"C-1 is now <@{BEN}>'s.",
    ]
    assert _owner(deps) == BEN


def test_escalating_or_putting_on_call_a_nobody_is_refused(
    http: FlaskClient, user: SlackClientSim, slack: SlackStandIn
) -> None:
    post_json(http, "web", sample_post(1))
    slack.gone.add("U0NOBODY1")
    user.command("escalate C-1 <@U0NOBODY1> please look", user=ANA)
    user.command("oncall override support <@UCASEBOT> 4h", user="U0SUPMGR01")
    assert _texts(slack) == [
        "There is no user U0NOBODY1 in this workspace.",
        "Casebot itself cannot own a case; name a person.",
    ]


def test_people_are_looked_up_once_and_remembered(
    http: FlaskClient, user: SlackClientSim, slack: SlackStandIn
) -> None:
    post_json(http, "web", sample_post(1))
    for who in (BEN, ANA, BEN):
        _assign(user, who)
    assert [c.args["user"] for c in slack.calls_to("users.info")] == [BEN, ANA]


def test_assign_goes_ahead_unverified_when_slack_cannot_be_asked(
    http: FlaskClient, user: SlackClientSim, slack: SlackStandIn, deps: Deps, log_lines: Any
) -> None:
    post_json(http, "web", sample_post(1))
    slack.fail("users.info", Fault(status=500, error="internal_error"))
    _assign(user, BEN)
    assert _texts(slack) == [f"C-1 is now <@{BEN}>'s."]
    [unverified] = [r for r in log_lines() if r["event"] == "people.unverified"]
    assert unverified["user"] == BEN


def test_a_refusal_is_remembered_for_five_minutes_an_answer_for_an_hour(
    slack: SlackStandIn,
) -> None:
    now = [0.0]
    client = make_lookup_client("xoxb-test", slack.api_url)
    people = People(client, Identity(client).start(), clock=lambda: now[0])
    slack.gone.add("U0NEWBIE1")
    with pytest.raises(Refused):
        people.require_person("U0NEWBIE1")
    slack.gone.clear()  # they joined
    now[0] = 299
    with pytest.raises(Refused):
        people.require_person("U0NEWBIE1")
    now[0] = 301
    people.require_person("U0NEWBIE1")
    slack.gone.add("U0NEWBIE1")  # and left again: still remembered as a person
    now[0] = 301 + 3599
    people.require_person("U0NEWBIE1")
    assert len(slack.calls_to("users.info")) == 2
