"""X (Twitter) API v2 tweet payloads: `{"data": tweet, "includes": {"users": [...]}}`.

This is the shape the v2 lookup, search and filtered-stream endpoints return with
`expansions=author_id`; integrations forward it unchanged. The multi-post lookup
(`GET /2/tweets?ids=…`) and search answer with `data` as an array: each tweet is a post
(at most 100, the lookup's own limit), its author found in the same `includes.users`.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from bot.posts import Author, IncomingPost
from handlers.channels import fields
from handlers.channels.base import ParseError

CONTENT_TYPES = ("application/json",)

# X allows 15; a little slack for legacy accounts, none for characters that would bend a URL.
_USERNAME = re.compile(r"^[A-Za-z0-9_]{1,32}$")


MAX_TWEETS = 100


def _author(data: dict[str, Any], author_id: str, at: str) -> dict[str, Any]:
    """The expanded user of the tweet: without it there is no handle to show or answer."""
    users = fields.obj(data, "includes", "includes").get("users")
    if not isinstance(users, list):
        raise ParseError("includes.users", "is required and must be a list")
    for i, user in enumerate(users):
        if not isinstance(user, dict):
            raise ParseError(f"includes.users[{i}]", "must be an object")
        if fields.ident(user, "id", f"includes.users[{i}].id") == author_id:
            return user
    raise ParseError("includes.users", f"has no user matching {at}.author_id")


def _replied_to(tweet: dict[str, Any], at: str) -> str | None:
    refs = tweet.get("referenced_tweets")
    if refs is None:
        return None
    if not isinstance(refs, list):
        raise ParseError(f"{at}.referenced_tweets", "must be a list")
    for i, ref in enumerate(refs):
        if not isinstance(ref, dict):
            raise ParseError(f"{at}.referenced_tweets[{i}]", "must be an object")
        if ref.get("type") == "replied_to":
            return fields.ident(ref, "id", f"{at}.referenced_tweets[{i}].id", required=True)
    return None


def _order(post: IncomingPost) -> tuple[int, int, str]:
    """Oldest first, so a reply in the same payload finds the post it answers: ids are
    snowflakes, which grow with time."""
    ident = post.external_id
    return (0, int(ident), "") if ident.isdigit() else (1, 0, ident)


def parse(source: str, body: bytes, content_type: str) -> IncomingPost | list[IncomingPost]:
    """One post for `data` as an object, a list of them (oldest first) for an array."""
    data = fields.load_object(body)
    tweets = data.get("data")
    if not isinstance(tweets, list):
        return _tweet(source, data, fields.obj(data, "data", "data"), "data")
    if not tweets:
        raise ParseError("data", "is an empty list")
    if len(tweets) > MAX_TWEETS:
        raise ParseError("data", f"has more than {MAX_TWEETS} posts")
    posts = []
    for i, tweet in enumerate(tweets):
        if not isinstance(tweet, dict):
            raise ParseError(f"data[{i}]", "must be an object")
        posts.append(_tweet(source, data, tweet, f"data[{i}]"))
    return sorted(posts, key=_order)


def _tweet(source: str, data: dict[str, Any], tweet: dict[str, Any], at: str) -> IncomingPost:
    tweet_id = fields.ident(tweet, "id", f"{at}.id", required=True) or ""
    author_id = fields.ident(tweet, "author_id", f"{at}.author_id", required=True) or ""
    user = _author(data, author_id, at)
    username = fields.ident(user, "username", "includes.users[].username", required=True) or ""
    if not _USERNAME.match(username):
        raise ParseError("includes.users[].username", "is not an X username")
    metrics = fields.obj(user, "public_metrics", "includes.users[].public_metrics", required=False)
    lang = fields.text(tweet, "lang", f"{at}.lang", limit=fields.MAX_ID_CHARS)
    return IncomingPost(
        source=source,
        external_id=tweet_id,
        text=fields.text(tweet, "text", f"{at}.text", required=True) or "",
        author=Author(
            id=author_id,
            handle=f"@{username}",
            name=fields.text(user, "name", "includes.users[].name", limit=fields.MAX_NAME_CHARS)
            or "",
            followers=fields.count(
                metrics, "followers_count", "includes.users[].public_metrics.followers_count"
            ),
        ),
        url=f"https://x.com/{username}/status/{quote(tweet_id, safe='')}",
        posted_at=fields.timestamp(tweet, "created_at", f"{at}.created_at"),
        conversation_id=fields.ident(tweet, "conversation_id", f"{at}.conversation_id"),
        in_reply_to=_replied_to(tweet, at),
        # X marks text it cannot classify as "und"; that is no language at all.
        language=None if lang in (None, "und") else lang,
    )
