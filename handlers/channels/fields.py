"""Field readers shared by the JSON channel parsers.

Every reader names the dotted path of what it reads, so a bad body answers 400 with
the exact field an integrator has to fix.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from handlers.channels.base import ParseError, clean_text
from handlers.channels.limits import load_json

MAX_ID_CHARS = 256
"""External ids are keys (unique constraints, thread lookups), not content: keep them short."""

MAX_NAME_CHARS = 512

MAX_COUNT = 2**31 - 1
"""Counts (followers) are stored in 32-bit columns; a larger one is stored as this. No
account comes near it, and reach is log-scaled and capped for priority anyway."""


def load_object(body: bytes) -> dict[str, Any]:
    data = load_json(body)
    if not isinstance(data, dict):
        raise ParseError("body", "must be a JSON object")
    return data


def obj(data: dict[str, Any], key: str, path: str, *, required: bool = True) -> dict[str, Any]:
    value = data.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise ParseError(path, "is required and must be an object")
    return value


def text(
    data: dict[str, Any], key: str, path: str, *, required: bool = False, limit: int | None = None
) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise ParseError(path, "is required")
        return None
    if not isinstance(value, str):
        raise ParseError(path, "must be a string")
    if required and not value.strip():
        raise ParseError(path, "must not be empty")
    return clean_text(value, limit=limit) if limit else clean_text(value)


def ident(data: dict[str, Any], key: str, path: str, *, required: bool = False) -> str | None:
    """An id as a string; numbers are accepted because some APIs send them unquoted."""
    value = data.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if value is None or value == "":
        if required:
            raise ParseError(path, "is required")
        return None
    if not isinstance(value, str):
        raise ParseError(path, "must be a string")
    value = clean_text(value).strip()
    if not value:
        raise ParseError(path, "must not be empty")
    if len(value) > MAX_ID_CHARS:
        raise ParseError(path, f"is longer than {MAX_ID_CHARS} characters")
    return value


def count(data: dict[str, Any], key: str, path: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ParseError(path, "must be a non-negative integer")
    return min(value, MAX_COUNT)


def timestamp(data: dict[str, Any], key: str, path: str) -> datetime | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ParseError(path, "must be an ISO 8601 string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ParseError(path, "is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise ParseError(path, "needs a time zone (e.g. Z or +02:00)")
    if in_utc(parsed) is None:
        raise ParseError(path, "is outside the years 1 to 9999 once in UTC")
    return parsed


def in_utc(value: datetime) -> datetime | None:
    """`value` in UTC, or None when it has none (9999-12-31T23:59:59-12:00 is in the year
    10000 there, 0001-01-01T00:00:00+14:00 in the year 0)."""
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def web_url(data: dict[str, Any], key: str, path: str) -> str | None:
    """A link shown on the card: only http(s), so a `javascript:` URL never becomes one."""
    value = text(data, key, path, limit=2048)
    if value is None:
        return None
    if not is_web_url(value):
        raise ParseError(path, "must be an http(s) URL")
    return value


def is_web_url(value: str) -> bool:
    return value.lower().startswith(("https://", "http://")) and not any(c.isspace() for c in value)
