"""The fetching side of the pollers (`bot.polling`): one bounded HTTP GET per page.

A poll's request is bounded in time (`timeout_seconds`, connect to last byte) and in
size, and every failure becomes a `PollFailed` whose message names a status or a kind
of network trouble, never the URL (a private feed's URL is a secret), a token or text.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from bot.polling import Fetcher, Item, Page, PollFailed, Seen
from config.connectors import FeedPoll, MastodonPoll, SourceConfig
from config.errors import ConfigError
from handlers.channels import feed, mastodon
from handlers.channels.base import ParseError
from handlers.channels.limits import load_json

MAX_RESPONSE_BYTES = 5 * 1024 * 1024
MASTODON_PAGE = 40
"""Mastodon's largest page of notifications."""
USER_AGENT = "Casebot-poller/0.1"


@dataclass(frozen=True)
class Response:
    status: int
    headers: httpx.Headers
    body: bytes


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())


def get(
    url: str,
    *,
    timeout: float,
    headers: Mapping[str, str] | None = None,
    params: list[tuple[str, str]] | None = None,
) -> Response:
    """GET within `timeout` seconds in all and `MAX_RESPONSE_BYTES`."""
    deadline = time.monotonic() + timeout
    sent = {"User-Agent": USER_AGENT, **(headers or {})}
    try:
        with (
            httpx.Client(timeout=timeout, follow_redirects=True, max_redirects=5) as client,
            client.stream("GET", url, headers=sent, params=params) as resp,
        ):
            chunks: list[bytes] = []
            size = 0
            for chunk in resp.iter_bytes():
                size += len(chunk)
                if size > MAX_RESPONSE_BYTES:
                    raise PollFailed(f"answer larger than {MAX_RESPONSE_BYTES} bytes")
                if time.monotonic() > deadline:
                    raise PollFailed(f"no complete answer within {timeout:g} s")
                chunks.append(chunk)
            return Response(resp.status_code, resp.headers, b"".join(chunks))
    except httpx.TimeoutException:
        raise PollFailed(f"no answer within {timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise PollFailed(f"network error ({type(exc).__name__})") from None


def _refused(resp: Response) -> PollFailed:
    hint = {401: " (check the token)", 403: " (check the token's scopes)", 404: " (check the URL)"}
    return PollFailed(
        f"HTTP {resp.status}{hint.get(resp.status, '')}", retry_after=_retry_after(resp.headers)
    )


class FeedFetcher:
    """Conditional GET (`If-None-Match`, `If-Modified-Since`); a 304 is nothing new."""

    def __init__(self, source: str, cfg: FeedPoll) -> None:
        self._source = source
        self._cfg = cfg

    def fetch(self, seen: Seen) -> Page:
        headers = {"Accept": "application/atom+xml, application/rss+xml, application/xml;q=0.9"}
        if seen.etag:
            headers["If-None-Match"] = seen.etag
        if seen.last_modified:
            headers["If-Modified-Since"] = seen.last_modified
        resp = get(self._cfg.url, timeout=self._cfg.timeout_seconds, headers=headers)
        if resp.status == 304:
            return Page(etag=seen.etag, last_modified=seen.last_modified)
        if resp.status != 200:
            raise _refused(resp)
        try:
            posts = feed.parse(self._source, resp.body, url=self._cfg.url)
        except ParseError as exc:
            raise PollFailed(str(exc)) from None
        return Page(
            items=[Item(post) for post in posts],
            etag=resp.headers.get("ETag"),
            last_modified=resp.headers.get("Last-Modified"),
        )


def _id_order(value: str) -> tuple[int, str]:
    """Mastodon ids are numbers written as strings: `99` comes before `100`."""
    return (len(value), value) if value.isdigit() else (0, value)


class MastodonFetcher:
    """`GET /api/v1/notifications?types[]=mention`, paging forward from the cursor.

    `min_id` asks for the page right after the cursor (oldest news first), so more than
    one page of mentions between two polls is read page by page, none skipped; `since_id`
    says the same to servers that only know it. The first poll (no cursor yet) starts
    from the newest page: the account's older mentions are history, not news.
    """

    def __init__(self, source: str, cfg: MastodonPoll, *, token: str) -> None:
        self._source = source
        self._cfg = cfg
        self._token = token

    def fetch(self, seen: Seen) -> Page:
        params = [("types[]", "mention"), ("limit", str(MASTODON_PAGE))]
        if seen.cursor:
            params += [("min_id", seen.cursor), ("since_id", seen.cursor)]
        resp = get(
            f"{self._cfg.base_url}/api/v1/notifications",
            timeout=self._cfg.timeout_seconds,
            headers={"Authorization": f"Bearer {self._token}", "Accept": "application/json"},
            params=params,
        )
        if resp.status != 200:
            raise _refused(resp)
        try:
            data = load_json(resp.body)
        except ParseError as exc:
            raise PollFailed(f"notifications {exc}") from None
        if not isinstance(data, list):
            raise PollFailed("notifications: the answer is not a list")
        items = sorted(
            (self._item(n) for n in data if isinstance(n, dict) and _has_id(n)),
            key=lambda item: _id_order(item.cursor or ""),
        )
        if seen.cursor:
            items = [i for i in items if _id_order(i.cursor or "") > _id_order(seen.cursor)]
        return Page(items=items, more=bool(seen.cursor) and len(data) >= MASTODON_PAGE)

    def _item(self, notification: dict[str, Any]) -> Item:
        cursor = str(notification["id"])
        if notification.get("type") != "mention":
            return Item(None, cursor)
        try:
            return Item(mastodon.parse_object(self._source, notification), cursor)
        except ParseError:
            return Item(None, cursor)


def _has_id(notification: dict[str, Any]) -> bool:
    value = notification.get("id")
    return isinstance(value, str | int) and not isinstance(value, bool) and 0 < len(str(value)) < 64


def build_fetchers(
    sources: Mapping[str, SourceConfig], env: Mapping[str, str]
) -> dict[str, Fetcher]:
    """Every polled source's fetcher; a missing token stops the worker at start."""
    built: dict[str, Fetcher] = {}
    for name, source in sources.items():
        match source.poll:
            case FeedPoll() as cfg:
                built[name] = FeedFetcher(name, cfg)
            case MastodonPoll() as cfg:
                token = env.get(cfg.token_env, "")
                if not token.strip():
                    raise ConfigError(
                        f"sources.{name}.poll: {cfg.token_env}: environment variable is not set"
                        " (the mastodon poller needs it)"
                    )
                built[name] = MastodonFetcher(name, cfg, token=token)
    return built
