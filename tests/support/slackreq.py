"""Requests exactly as Slack sends them (see `bot.demo.signed`), with the tests' secret."""

from __future__ import annotations

from flask.testing import FlaskClient

from bot.demo import signed

SIGNING_SECRET = "test-signing-secret"


def signed_headers(
    body: str, *, secret: str = SIGNING_SECRET, ts: int | None = None
) -> dict[str, str]:
    return signed.signed_headers(body, secret=secret, ts=ts)


class SlackClientSim(signed.SlackUser):
    """What Slack's servers would POST to /slack/events for a user's command or click."""

    def __init__(self, client: FlaskClient, response_url: str) -> None:
        super().__init__(client, response_url, secret=SIGNING_SECRET)
