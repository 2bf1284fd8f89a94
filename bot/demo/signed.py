"""What Slack's servers send to the app for a person's command or click, signed with
slack_sdk's verifier: used by the demo and by the tests, so both drive the real Bolt
app exactly as Slack would."""

from __future__ import annotations

import json
import time
from typing import Any, Protocol
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier


class Poster(Protocol):
    """Anything that POSTs to the app (Flask's test client, for instance)."""

    def post(self, path: str, *, data: str, headers: dict[str, str]) -> Any: ...


def signed_headers(body: str, *, secret: str, ts: int | None = None) -> dict[str, str]:
    timestamp = str(ts if ts is not None else int(time.time()))
    sig = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    return {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": sig,
        "Content-Type": "application/x-www-form-urlencoded",
    }


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
                "response_url": response_url or self.response_url,
                "trigger_id": "trig.1",
            }
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
        payload = {
            "type": "block_actions",
            "team": {"id": "T1", "domain": "acme"},
            "user": {"id": user, "username": user.lower(), "team_id": "T1"},
            "api_app_id": "A1",
            "token": "legacy",
            "trigger_id": "trig.2",
            "response_url": response_url or self.response_url,
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
