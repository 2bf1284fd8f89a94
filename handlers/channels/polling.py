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
from urllib.parse import parse_qs, urlsplit

import httpx

from bot.polling import MAX_PAGES, Fetcher, Item, Page, PollFailed, Seen
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
    next_url: str | None = None
    """A `Link: <…>; rel="next"` header's URL (httpx parses it)."""


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
            following = resp.links.get("next", {}).get("url")
            return Response(resp.status_code, resp.headers, b"".join(chunks), following)
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
    says the same to servers that only know it. The first poll (no cursor yet) reads the
    newest page and follows its `Link: rel="next"` to older pages, up to `MAX_PAGES` in
    all (the lease covers that many requests), so mentions waiting when Casebot starts
    are not lost to a first page that was full. Only the link's `max_id` is taken: the
    request goes to `base_url` with the token, never to a host a header names.
    """

    def __init__(self, source: str, cfg: MastodonPoll, *, token: str) -> None:
        self._source = source
        self._cfg = cfg
        self._token = token

    def fetch(self, seen: Seen) -> Page:
        params = [("types[]", "mention"), ("limit", str(MASTODON_PAGE))]
        if not seen.cursor:
            return self._first(params)
        data, _ = self._page([*params, ("min_id", seen.cursor), ("since_id", seen.cursor)])
        items = sorted(
            (self._item(n) for n in data if isinstance(n, dict) and _has_id(n)),
            key=lambda item: _id_order(item.cursor or ""),
        )
        items = [i for i in items if _id_order(i.cursor or "") > _id_order(seen.cursor)]
        return Page(items=items, more=len(data) >= MASTODON_PAGE)

    def _first(self, params: list[tuple[str, str]]) -> Page:
        """The newest page and the older ones its links lead to, oldest first."""
        found: dict[str, Item] = {}
        query = params
        for _ in range(MAX_PAGES):
            data, following = self._page(query)
            for n in data:
                if isinstance(n, dict) and _has_id(n):
                    item = self._item(n)
                    found.setdefault(item.cursor or "", item)
            older = _max_id(following)
            if not data or older is None:
                break
            query = [*params, ("max_id", older)]
        return Page(items=sorted(found.values(), key=lambda i: _id_order(i.cursor or "")))

    def _page(self, params: list[tuple[str, str]]) -> tuple[list[Any], str | None]:
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
        return data, resp.next_url

    def _item(self, notification: dict[str, Any]) -> Item:
        cursor = str(notification["id"])
        if notification.get("type") != "mention":
            return Item(None, cursor)
        try:
            return Item(mastodon.parse_object(self._source, notification), cursor)
        except ParseError:
            return Item(None, cursor)


def _max_id(url: str | None) -> str | None:
    """The `max_id` of a next-page link, if it is a plain id."""
    values = parse_qs(urlsplit(url or "").query).get("max_id", [])
    value = values[0] if values else ""
    return value if 0 < len(value) < 64 and value.isalnum() else None


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
