"""What Slack's servers send to the app for a person's command or click, signed with
slack_sdk's verifier: the one builder the demo, the tests and the benchmarks use, so
all of them drive the real Bolt app exactly as Slack would."""

from __future__ import annotations

import json
import time
from typing import Any, Protocol
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier


class Poster(Protocol):
    """Anything that POSTs to the app (Flask's test client, for instance)."""

    def post(self, path: str, *, data: str, headers: dict[str, str]) -> Any: ...


TEAM = {"id": "T1", "domain": "acme"}


def slack_user(user: str) -> dict[str, str]:
    return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T1"}


def signed_headers(body: str, *, secret: str, ts: int | None = None) -> dict[str, str]:
    timestamp = str(ts if ts is not None else int(time.time()))
    sig = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    return {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": sig,
        "Content-Type": "application/x-www-form-urlencoded",
    }


def command_body(
    text: str,
    *,
    user: str,
    response_url: str,
    command: str = "/case",
    trigger_id: str = "trig.1",
) -> str:
    """A slash command, form-encoded as Slack posts it."""
    return urlencode(
        {
            "token": "legacy",
            "team_id": "T1",
            "team_domain": "acme",
            "channel_id": "C0SUPPORT01",
            "channel_name": "support",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A1",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )


def block_action(
    action_id: str,
    value: str,
    *,
    user: str,
    response_url: str | None,
    channel: str = "C0SUPPORT01",
    message_ts: str = "1700000000.000001",
    thread_ts: str | None = None,
    trigger_id: str = "trig.click",
    kind: str = "button",
    block_id: str = "b",
    action_ts: str = "1700000000.900000",
) -> dict[str, Any]:
    """A click on a message button (or a pick in a static select, `kind="static_select"`).

    `response_url=None` is a click in App Home, which carries no response URL.
    """
    action: dict[str, Any] = {
        "type": kind,
        "action_id": action_id,
        "block_id": block_id,
        "action_ts": action_ts,
    }
    if kind in ("static_select", "radio_buttons"):
        action["selected_option"] = {
            "text": {"type": "plain_text", "text": value, "emoji": True},
            "value": value,
        }
    else:
        action["value"] = value
        action["text"] = {"type": "plain_text", "text": action_id, "emoji": True}
    message: dict[str, Any] = {"type": "message", "ts": message_ts, "text": "", "user": "UCASEBOT"}
    if thread_ts:
        message["thread_ts"] = thread_ts
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": TEAM,
        "user": slack_user(user),
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": trigger_id,
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
            **({"thread_ts": thread_ts} if thread_ts else {}),
        },
        "channel": {"id": channel, "name": "channel"},
        "message": message,
        "actions": [action],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    if response_url is not None:
        payload["response_url"] = response_url
    return payload


def interactive_body(payload: dict[str, Any]) -> str:
    """An interactive payload (click, submission), form-encoded as Slack posts it."""
    return urlencode({"payload": json.dumps(payload)})


class SlackUser:
    """Sends signed slash commands and button clicks to `/slack/events`."""

    def __init__(self, app: Poster, response_url: str, *, secret: str) -> None:
        self.app = app
        self.response_url = response_url
        self.secret = secret

    def post(self, body: str, *, secret: str | None = None, ts: int | None = None) -> Any:
        headers = signed_headers(body, secret=secret or self.secret, ts=ts)
        return self.app.post("/slack/events", data=body, headers=headers)

    def command(
        self,
        text: str,
        *,
        user: str = "U0ANA0001",
        command: str = "/case",
        response_url: str | None = None,
    ) -> Any:
        body = command_body(
            text, user=user, command=command, response_url=response_url or self.response_url
        )
        return self.post(body)

    def click(
        self,
        action_id: str,
        value: str,
        *,
        user: str = "U0ANA0001",
        response_url: str | None = None,
    ) -> Any:
        payload = block_action(
            action_id, value, user=user, response_url=response_url or self.response_url
        )
        return self.post(interactive_body(payload))
