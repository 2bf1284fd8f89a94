"""A hypothesis fuzz of `/slack/events`: slash command text, every kind of interactive
payload (clicks, modal submissions and closes, shortcuts, garbage), Events API bodies,
Slack's headers; and both doors with the database down. Whatever arrives, the answer is
no 5xx (but 503 while the database is down), JSON or Bolt's empty ack, no traceback, and
no "that failed on our side" apology, which only an unexpected exception produces."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from bot.demo.standin import SlackStandIn
from tests.faults.doors import (
    CONTENT_TYPES,
    FEW,
    FUZZ,
    assert_answered,
    header_values,
    ingest_post,
    json_values,
    mutated,
    seed,
    slack_post,
    sorry,
)
from tests.faults.payloads import EVENT, RESPONSE_URL, command_texts, interactive, json_bodies


@pytest.mark.both_db
@FUZZ
@given(text=command_texts, who=st.sampled_from(["U0ANA0001", "U0SUPMGR01", "UCASEBOT"]))
def test_slash_command_text(http: FlaskClient, slack: SlackStandIn, text: str, who: str) -> None:
    seed(http)
    body = urlencode(
        {
            "team_id": "T1",
            "channel_id": "C0SUPPORT01",
            "user_id": who,
            "command": "/case",
            "text": text,
            "response_url": slack.response_url(),
            "trigger_id": "t",
        }
    )
    assert_answered(slack_post(http, body), empty_ok=True)
    assert sorry(slack) == []


@pytest.mark.both_db
@FUZZ
@given(data=st.data())
def test_interactive_payloads(http: FlaskClient, slack: SlackStandIn, data: st.DataObject) -> None:
    seed(http)
    payload = data.draw(interactive())
    text = data.draw(mutated(payload, max_changes=2) | st.just(json.dumps(payload)))
    text = text.replace(RESPONSE_URL, slack.response_url())
    assert_answered(slack_post(http, urlencode({"payload": text})), empty_ok=True)
    assert sorry(slack) == []


@FUZZ
@given(payload=json_values.map(json.dumps) | st.text(max_size=200), raw=st.booleans())
def test_garbage_payloads_and_events(
    http: FlaskClient, slack: SlackStandIn, payload: str, raw: bool
) -> None:
    if raw:
        resp = slack_post(http, payload, ctype="application/json")
    else:
        resp = slack_post(http, urlencode({"payload": payload}))
    assert_answered(resp, empty_ok=True)


@FEW
@given(event=mutated(EVENT, max_changes=2))
def test_events_api_bodies(http: FlaskClient, event: str) -> None:
    assert_answered(slack_post(http, event, ctype="application/json"), empty_ok=True)


@FUZZ
@given(
    timestamp=header_values,
    signature=header_values,
    signed=st.booleans(),
    ctype=st.sampled_from(CONTENT_TYPES),
)
def test_slack_headers(
    http: FlaskClient, timestamp: str, signature: str, signed: bool, ctype: str
) -> None:
    body = urlencode({"command": "/case", "text": "help", "user_id": "U1", "team_id": "T1"})
    headers = {"timestamp": timestamp, "Content-Type": ctype}
    if not signed:
        headers["X-Slack-Signature"] = signature
    assert_answered(slack_post(http, body, **headers), empty_ok=True)


@pytest.mark.both_db
@FEW
@given(data=st.data())
def test_with_the_database_down_only_503(down_http: FlaskClient, data: st.DataObject) -> None:
    if data.draw(st.booleans()):
        source = data.draw(st.sampled_from(sorted(json_bodies)))
        body = data.draw(json_bodies[source]).encode()
        assert_answered(ingest_post(down_http, source, body, "application/json"), down=True)
    else:
        body = urlencode({"payload": json.dumps(data.draw(interactive()))})
        assert_answered(slack_post(down_http, body), down=True, empty_ok=True)
