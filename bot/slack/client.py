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


LOOKUP_TIMEOUT_SECONDS = 3


def make_lookup_client(token: str | None, base_url: str) -> WebClient:
    """For lookups made while a person waits for an answer (`users.info`): a short
    timeout and no waiting out a 429, since the caller goes ahead without the answer."""
    client = make_client(token, base_url)
    client.timeout = LOOKUP_TIMEOUT_SECONDS
    client.retry_handlers = [
        h for h in client.retry_handlers if not isinstance(h, RateLimitErrorRetryHandler)
    ]
    return client
