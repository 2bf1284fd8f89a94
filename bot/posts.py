"""A customer post as every channel module hands it to the core."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

MAX_TEXT_CHARS = 40_000


@dataclass(frozen=True, kw_only=True)
class Author:
    id: str
    handle: str = ""
    name: str = ""
    followers: int | None = None
    email: str | None = None


@dataclass(frozen=True, kw_only=True)
class IncomingPost:
    source: str
    external_id: str
    text: str
    author: Author
    url: str | None = None
    posted_at: datetime | None = None
    conversation_id: str | None = None
    in_reply_to: str | None = None
    language: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
