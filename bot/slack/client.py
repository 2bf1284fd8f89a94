"""The one way Casebot configures a Slack WebClient."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler


def configure(client: WebClient, base_url: str) -> WebClient:
    """Waits out 429s itself (Slack did not act on a rate-limited call, so repeating it
    is safe). Server and network errors are *not* retried here: Slack may have posted
    the message before failing, so the outbox retries those after checking."""
    client.base_url = base_url
    client.timeout = 10
    client.retry_handlers = [RateLimitErrorRetryHandler(max_retry_count=2)]
    return client


def make_client(token: str | None, base_url: str) -> WebClient:
    return configure(WebClient(token=token), base_url)
