"""The one way Casebot configures a Slack WebClient."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.metrics import RATE_LIMITED, SLACK_ERRORS


class CountedCalls(RetryHandler):  # type: ignore[misc]
    """Never retries: slack_sdk shows every answer (and every failed attempt) to its retry
    handlers, so this one, first in the list, counts what went wrong, by Web API method.
    It travels with the handler list into the clients Bolt makes per request."""

    def __init__(self) -> None:
        super().__init__(max_retry_count=2**31)

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        method = request.url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or "unknown"
        if response is None:
            SLACK_ERRORS.labels(method=method, error=type(error).__name__).inc()
        elif response.status_code == 429:
            RATE_LIMITED.labels(method=method).inc()
        elif response.status_code != 200:
            SLACK_ERRORS.labels(method=method, error=f"http_{response.status_code}").inc()
        elif isinstance(response.body, dict) and response.body.get("ok") is False:
            error_name = str(response.body.get("error") or "unknown")[:64]
            SLACK_ERRORS.labels(method=method, error=error_name).inc()
        return False


def configure(client: WebClient, base_url: str) -> WebClient:
    """Waits out 429s itself (Slack did not act on a rate-limited call, so repeating it
    is safe). Server and network errors are *not* retried here: Slack may have posted
    the message before failing, so the outbox retries those after checking."""
    client.base_url = base_url
    client.timeout = 10
    client.retry_handlers = [CountedCalls(), RateLimitErrorRetryHandler(max_retry_count=2)]
    return client


def make_client(token: str | None, base_url: str) -> WebClient:
    return configure(WebClient(token=token), base_url)


SHORT_RETRY_AFTER_SECONDS = 1


class ShortRateLimitRetry(RateLimitErrorRetryHandler):  # type: ignore[misc]
    """Waits out a 429 inside the call only when Slack asks for at most a second: a
    longer Retry-After goes back to the outbox, which holds that method and channel
    (`bot.slack.pacing`) while other channels' messages keep flowing."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        value = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), None)
        value = value[0] if isinstance(value, list) and value else value
        try:
            return float(str(value)) <= SHORT_RETRY_AFTER_SECONDS
        except ValueError:
            return False


def make_outbox_client(token: str | None, base_url: str, timeout: float = 10) -> WebClient:
    """The worker's client: every call ends within `timeout` plus at most two short
    in-call 429 waits, which is what the outbox lease must outlast."""
    client = make_client(token, base_url)
    client.timeout = timeout
    client.retry_handlers = [CountedCalls(), ShortRateLimitRetry(max_retry_count=2)]
    return client


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
