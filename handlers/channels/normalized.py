"""The normalized JSON post format any integration can send to `/ingest/{source}`."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.posts import Author, IncomingPost
from handlers.channels.base import ParseError, clean_text

CONTENT_TYPES = ("application/json",)


def _str(obj: dict[str, Any], key: str, where: str, *, required: bool = False) -> str | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise ParseError(where + key, "is required")
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and key == "id":
        value = str(value)
    if not isinstance(value, str):
        raise ParseError(where + key, "must be a string")
    if required and not value.strip():
        raise ParseError(where + key, "must not be empty")
    return clean_text(value)


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ParseError("created_at", "must be an ISO 8601 string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ParseError("created_at", "is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise ParseError("created_at", "needs a time zone (e.g. Z or +02:00)")
    return parsed


def parse(source: str, body: bytes) -> IncomingPost:
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise ParseError("body", "is not valid UTF-8") from None
    except json.JSONDecodeError as exc:
        raise ParseError("body", f"is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise ParseError("body", "must be a JSON object")
    author = data.get("author")
    if not isinstance(author, dict):
        raise ParseError("author", "is required and must be an object")
    followers = author.get("followers")
    if followers is not None and (
        not isinstance(followers, int) or isinstance(followers, bool) or followers < 0
    ):
        raise ParseError("author.followers", "must be a non-negative integer")
    metadata = data.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise ParseError("metadata", "must be an object")
    return IncomingPost(
        source=source,
        external_id=_str(data, "id", "", required=True) or "",
        text=_str(data, "text", "", required=True) or "",
        author=Author(
            id=_str(author, "id", "author.", required=True) or "",
            handle=_str(author, "handle", "author.") or "",
            name=_str(author, "name", "author.") or "",
            followers=followers,
            email=_str(author, "email", "author."),
        ),
        url=_str(data, "url", ""),
        posted_at=_time(data.get("created_at")),
        conversation_id=_str(data, "conversation_id", ""),
        in_reply_to=_str(data, "in_reply_to", ""),
        language=_str(data, "language", ""),
        metadata=metadata,
    )
