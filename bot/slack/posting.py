"""One Slack call of an outbox attempt: paced, its errors sorted for the runner, and a
post that is never made twice.

Every message Casebot posts carries its outbox key in Slack message metadata. When an
earlier attempt of the row began a post whose outcome is unknown (a timeout, a dropped
connection, a 5xx, a crash), the next attempt first waits until that post, if Slack
stored it, can be seen (the client's timeout plus Slack's indexing delay after it
began), then looks for the key in every message of the channel, thread or DM since
the row was queued (`oldest`, following cursors), and adopts the message it finds
instead of posting again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.metrics import ADOPTED, RETRY_AFTER_WAITED
from bot.outbox.runner import Attempt, Deferred, GiveUp, RetryLater
from bot.slack.pacing import POST, Pacer

log = logging.getLogger("casebot.outbox")

METADATA_EVENT = "casebot_outbox"
INDEX_DELAY = timedelta(seconds=5)
"""How long after Slack stored a message its history may still not show it."""
CLOCK_SKEW = timedelta(minutes=5)
"""Looked back before the row's creation, for Slack's clock against ours."""
PAGE = 200
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "missing_scope",
        "invalid_blocks",
        "msg_too_long",
        "no_text",
        "user_not_found",
        "cannot_dm_bot",
    }
)

UNSURE_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
"""Answers that do not say whether Slack acted before failing."""

T = TypeVar("T")


@dataclass(frozen=True)
class SlackOut:
    """The worker's Slack client and the pacer all its deliveries share."""

    client: WebClient
    pacer: Pacer

    @property
    def settle(self) -> timedelta:
        """From the start of a post until it is surely visible, if Slack stored it."""
        return timedelta(seconds=float(self.client.timeout)) + INDEX_DELAY

    def call(self, method: str, channel: str | None, fn: Callable[[], T]) -> T:
        """`fn` (one call of `method`), once the pacer has room for it."""
        with self._paced(method, channel):
            try:
                return fn()
            except SlackApiError as exc:
                raise self.sorted(exc, method, channel) from None

    def ready(self, method: str, channel: str | None) -> None:
        """`Deferred` now if the call would be, before the caller reads and renders what
        it would send: a backlog of cards in one channel is rendered at its turns, once a
        card, not every time a round tries it."""
        if (wait := self.pacer.take(method, channel, spend=False)) > 0:
            raise Deferred(timedelta(seconds=wait))

    @contextmanager
    def _paced(self, method: str, channel: str | None) -> Iterator[None]:
        """Every call to Slack: the pacer's turn for its method and channel, held for the
        call (`Pacer.turn`), then a token, or `Deferred` for as long as there is none."""
        with self.pacer.turn(method, channel):
            if (wait := self.pacer.take(method, channel)) > 0:
                raise Deferred(timedelta(seconds=wait))
            yield

    def sorted(self, exc: SlackApiError, method: str, channel: str | None) -> Exception:
        """What the runner does about a Slack error: wait out a 429 for this method and
        channel, give up on what retrying cannot fix, retry the rest. Only a refusal
        (a 429, or an answered `ok: false`) tells that nothing was posted."""
        status = exc.response.status_code
        error = str(exc.response.get("error") or status)
        if status == 429:
            seconds = retry_after(exc)
            self.pacer.hold(method, channel, seconds)
            RETRY_AFTER_WAITED.labels(method=method).inc(seconds)
            return RetryLater(error, timedelta(seconds=seconds), unsure=False)
        if error in PERMANENT_ERRORS:
            return GiveUp(error)
        log.warning("outbox.slack_error", extra={"method": method, "error": error})
        refused = status < 500 and error not in UNSURE_ERRORS and error != str(status)
        return RetryLater(error, unsure=not refused)

    def update(self, channel: str, ts: str, **message: Any) -> None:
        """Edit a message in place (idempotent, so never looked up); Slack errors are
        raised as they are, for the caller to tell a deleted message apart."""
        with self._paced("chat.update", channel):
            self.client.chat_update(channel=channel, ts=ts, **message)

    def post_once(
        self, attempt: Attempt, *, channel: str, thread_ts: str | None = None, **message: Any
    ) -> str:
        """Post `message` for this row, or adopt the one an earlier attempt posted."""
        row = attempt.row
        if row.post_started_at is not None:
            visible = row.post_started_at + self.settle - attempt.delivery.time.now()
            if visible > timedelta(0):
                raise Deferred(visible)
            oldest = (row.created_at or row.post_started_at) - CLOCK_SKEW
            found = self.find_posted(channel, row.key, thread_ts=thread_ts, oldest=oldest)
            if found:
                ADOPTED.labels(kind=row.kind).inc()
                log.info("outbox.adopted", extra={"row": row.id, "kind": row.kind})
                return found
        with self._paced(POST, channel):
            attempt.fence(posting=True)
            try:
                resp = self.client.chat_postMessage(
                    channel=channel, thread_ts=thread_ts, metadata=metadata(row.key), **message
                )
            except SlackApiError as exc:
                raise self.sorted(exc, POST, channel) from None
        return str(resp["ts"])

    def find_posted(
        self, channel: str, key: str, *, thread_ts: str | None, oldest: datetime
    ) -> str | None:
        """The ts of the message carrying `key` in the channel (or thread) since `oldest`."""
        method = "conversations.replies" if thread_ts else "conversations.history"
        args: dict[str, Any] = {
            "channel": channel,
            "oldest": f"{max(oldest.timestamp(), 0):.6f}",
            "inclusive": True,
            "include_all_metadata": True,
            "limit": PAGE,
        }

        def fetch(cursor: str | None) -> Any:
            if thread_ts:
                return self.client.conversations_replies(**args, ts=thread_ts, cursor=cursor)
            return self.client.conversations_history(**args, cursor=cursor)

        cursor: str | None = None
        while True:
            page = self.call(method, channel, partial(fetch, cursor))
            for message in page.get("messages") or []:
                meta = message.get("metadata") or {}
                if meta.get("event_type") == METADATA_EVENT and (
                    (meta.get("event_payload") or {}).get("key") == key
                ):
                    return str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None


def metadata(key: str) -> dict[str, Any]:
    return {"event_type": METADATA_EVENT, "event_payload": {"key": key}}


def retry_after(exc: SlackApiError) -> float:
    """The 429's Retry-After in seconds (1 when Slack gave none)."""
    headers = exc.response.headers or {}
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return max(float(str(value)), 0.0) if value is not None else 1.0
    except ValueError:
        return 1.0
