"""Builds requests exactly as Slack sends them, signed with slack_sdk's verifier."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from flask.testing import FlaskClient
from slack_sdk.signature import SignatureVerifier
from werkzeug.test import TestResponse

SIGNING_SECRET = "test-signing-secret"


def signed_headers(
    body: str, *, secret: str = SIGNING_SECRET, ts: int | None = None
) -> dict[str, str]:
    timestamp = str(ts if ts is not None else int(time.time()))
    sig = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    return {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": sig,
        "Content-Type": "application/x-www-form-urlencoded",
    }


class SlackClientSim:
    """What Slack's servers would POST to /slack/events for a user's command or click."""

    def __init__(self, client: FlaskClient, response_url: str) -> None:
        self.client = client
        self.response_url = response_url

    def post(self, body: str, **kw: Any) -> TestResponse:
        return self.client.post("/slack/events", data=body, headers=signed_headers(body, **kw))

    def command(
        self, text: str, *, user: str = "U0ANA0001", command: str = "/case"
    ) -> TestResponse:
        body = urlencode(
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
                "response_url": self.response_url,
                "trigger_id": "trig.1",
            }
        )
        return self.post(body)

    def click(self, action_id: str, value: str, *, user: str = "U0ANA0001") -> TestResponse:
        payload = {
            "type": "block_actions",
            "team": {"id": "T1", "domain": "acme"},
            "user": {"id": user, "username": user.lower(), "team_id": "T1"},
            "api_app_id": "A1",
            "token": "legacy",
            "trigger_id": "trig.2",
            "response_url": self.response_url,
            "channel": {"id": "C0SUPPORT01", "name": "support"},
            "container": {"type": "message", "channel_id": "C0SUPPORT01", "message_ts": "1.1"},
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "b",
                    "value": value,
                    "action_ts": "1700000000.1",
                }
            ],
        }
        return self.post(urlencode({"payload": json.dumps(payload)}))
