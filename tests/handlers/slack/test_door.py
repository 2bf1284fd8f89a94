"""`POST /slack/events` refuses what is not Slack's (401) or not shaped as Slack shapes
it (400) with JSON, before Bolt could fail on it; nothing there is ever a 500."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient
from slack_sdk.signature import SignatureVerifier

from bot.demo.standin import SlackStandIn
from tests.support.slackreq import SIGNING_SECRET, SlackClientSim

LogLines = Callable[[], list[dict[str, Any]]]


def _post(http: FlaskClient, body: str, timestamp: str, **headers: str) -> Any:
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=timestamp, body=body)
    return http.post(
        "/slack/events",
        data=body,
        headers={
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
            "Content-Type": "application/x-www-form-urlencoded",
            **headers,
        },
    )


def _json(resp: Any, status: int) -> str:
    assert resp.status_code == status, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == "application/json"
    return str(resp.get_json()["error"])


@pytest.mark.parametrize("timestamp", ["abc", "9" * 5000, "", "-5", "1.5", " 17"])
def test_a_timestamp_that_is_not_unix_seconds_is_401(http: FlaskClient, timestamp: str) -> None:
    resp = _post(http, "payload=%7B%7D", timestamp)
    assert _json(resp, 401) == "X-Slack-Request-Timestamp must be unix seconds"


def test_a_bad_or_stale_signature_is_401(http: FlaskClient) -> None:
    now = str(int(time.time()))
    forged = _post(http, "command=/case", now, **{"X-Slack-Signature": "v0=00"})
    assert _json(forged, 401) == "bad or stale X-Slack-Signature"
    stale = _post(http, "command=/case", str(int(time.time()) - 600))
    assert _json(stale, 401) == "bad or stale X-Slack-Signature"


def _payload(payload: object) -> str:
    return urlencode({"payload": payload if isinstance(payload, str) else json.dumps(payload)})


USER = {"id": "U0ANA0001", "team_id": "T1"}
TEAM = {"id": "T1"}


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("payload=", "not valid JSON"),
        (_payload([]), "must be a JSON object"),
        (_payload([{"type": "block_actions"}]), "must be a JSON object"),
        (_payload("[" * 5000 + "]" * 5000), "nests deeper"),
        (_payload('{"type": "block_actions", "n": ' + "9" * 5000 + "}"), "longer than 32"),
        (_payload({"type": "block_actions", "user": USER, "team": TEAM, "actions": []}), "actions"),
        (_payload({"type": "block_actions", "user": USER, "actions": [{"value": "x"}]}), "actions"),
        (_payload({"type": "block_actions", "user": USER, "actions": ["x"]}), "actions[0]"),
        (_payload({"type": "view_submission", "user": USER, "view": {"id": "V1"}}), "view.type"),
        (
            _payload(
                {
                    "type": "view_submission",
                    "user": USER,
                    "view": {"type": "modal", "callback_id": "x", "state": {"values": [1]}},
                }
            ),
            "view.state.values",
        ),
        (_payload({"type": "view_closed", "user": USER, "view": []}), "view"),
        (_payload({"type": 5}), "type"),
        (_payload({"type": "block_actions", "team": [1], "user": USER}), "team"),
        (_payload({"type": "block_actions", "enterprise": 7, "user": USER}), "enterprise"),
        (_payload({"type": "shortcut", "user": USER}), "callback_id"),
        (
            _payload({"type": "block_actions", "user": "U1", "actions": [{"action_id": "a"}]}),
            "user.id",
        ),
        (_payload({"type": "x", "authorizations": [1]}), "authorizations[0]"),
        (urlencode({"command": "/case", "text": "help"}), "user_id"),
    ],
)
def test_a_signed_but_malformed_payload_is_400(http: FlaskClient, body: str, words: str) -> None:
    resp = _post(http, body, str(int(time.time())))
    assert words in _json(resp, 400)


def test_a_malformed_events_api_body_is_400(http: FlaskClient) -> None:
    now = str(int(time.time()))
    lone = '{"type": "event_callback", "event": {"type": "app_home_opened", "user": "\\ud800"}}'
    bodies = ("[]", '{"type": "event_callback"}', '{"type": "event_callback", "event": 3}', lone)
    for body in bodies:
        resp = _post(http, body, now, **{"Content-Type": "application/json"})
        _json(resp, 400)


def test_an_unhandled_request_is_404_json_and_its_body_is_not_logged(
    http: FlaskClient, log_lines: LogLines
) -> None:
    payload = {
        "type": "block_actions",
        "user": USER,
        "team": TEAM,
        "actions": [{"action_id": "nobody_listens", "value": "secret customer words"}],
    }
    resp = _post(http, _payload(payload), str(int(time.time())))
    assert _json(resp, 404) == "unhandled request"
    logged = json.dumps(log_lines())
    assert "secret customer words" not in logged


def test_a_listener_that_fails_answers_the_user_not_500(
    http: FlaskClient, monkeypatch: pytest.MonkeyPatch, slack: SlackStandIn, log_lines: LogLines
) -> None:
    from handlers.slack import grammar

    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(grammar, "parse", broken)
    resp = SlackClientSim(http, slack.response_url()).command("claim C-1")
    assert resp.status_code == 200
    assert resp.get_json() == {
        "response_type": "ephemeral",
        "text": "Sorry, that failed on our side. It has been logged; please try again.",
    }
    [failed] = [r for r in log_lines() if "exc" in r]
    assert failed["event"] == "slack.listener_failed" and "RuntimeError: boom" in failed["exc"]


def test_a_forged_modal_submission_with_values_that_are_not_text_is_answered(
    http: FlaskClient, slack: SlackStandIn
) -> None:
    values = {
        "snooze_minutes": {"snooze_minutes": {"type": "static_select", "selected_option": True}},
        "snooze_reason": {"snooze_reason": {"type": "plain_text_input", "value": 5}},
    }
    payload = {
        "type": "view_submission",
        "team": TEAM,
        "user": USER,
        "view": {
            "type": "modal",
            "callback_id": "snooze_modal",
            "private_metadata": '{"case":1}',
            "state": {"values": values},
        },
    }
    resp = SlackClientSim(http, slack.response_url()).post(_payload(payload))
    assert resp.status_code == 200
    assert resp.get_json() == {
        "response_action": "errors",
        "errors": {"snooze_minutes": "C-1: snooze for 30, 60 or 120 minutes."},
    }
