"""The normalized JSON post format any integration can send to `/ingest/{source}`."""

from __future__ import annotations

import re
from typing import Any

from bot.posts import Author, IncomingPost
from handlers.channels import fields
from handlers.channels.base import ParseError

CONTENT_TYPES = ("application/json",)


_TIER = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def _tier(author: dict[str, Any]) -> str | None:
    tier = fields.text(author, "tier", "author.tier", limit=64)
    if tier is not None and not _TIER.match(tier):
        raise ParseError("author.tier", "must be a tier name such as vip (a-z, 0-9, - and _)")
    return tier


def parse(source: str, body: bytes) -> IncomingPost:
    data = fields.load_object(body)
    author = fields.obj(data, "author", "author")
    metadata = data.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise ParseError("metadata", "must be an object")
    return IncomingPost(
        source=source,
        external_id=fields.ident(data, "id", "id", required=True) or "",
        text=fields.text(data, "text", "text", required=True) or "",
        author=Author(
            id=fields.ident(author, "id", "author.id", required=True) or "",
            handle=fields.text(author, "handle", "author.handle", limit=fields.MAX_NAME_CHARS)
            or "",
            name=fields.text(author, "name", "author.name", limit=fields.MAX_NAME_CHARS) or "",
            followers=fields.count(author, "followers", "author.followers"),
            email=fields.text(author, "email", "author.email", limit=fields.MAX_NAME_CHARS),
            tier=_tier(author),
        ),
        url=fields.text(data, "url", "url", limit=2048),
        posted_at=fields.timestamp(data, "created_at", "created_at"),
        conversation_id=fields.ident(data, "conversation_id", "conversation_id"),
        in_reply_to=fields.ident(data, "in_reply_to", "in_reply_to"),
        language=fields.text(data, "language", "language", limit=16),
        metadata=metadata,
    )
