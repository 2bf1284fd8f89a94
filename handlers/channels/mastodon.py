"""Mastodon statuses, bare or inside a `mention` notification, as the REST API returns them.

Status content is HTML written by anyone on the fediverse: it is reduced to plain
text here so that no markup reaches storage or Slack. Mastodon statuses carry no
conversation id, so threading rests on `in_reply_to_id` (a reply to a known post
joins its case).
"""

from __future__ import annotations

import re
from typing import Any

from bot.posts import Author, IncomingPost
from handlers.channels import fields
from handlers.channels.base import ParseError, clean_text
from handlers.channels.htmltext import html_to_text

CONTENT_TYPES = ("application/json",)

# `user` or `user@host`: the handle a reply mentions, so nothing else may ride along in it.
_ACCT = re.compile(r"^@?[A-Za-z0-9_][A-Za-z0-9_.-]*(@[A-Za-z0-9.-]+)?$")


def _status(data: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The status and the path prefix its field names are reported under."""
    if "type" not in data:
        return data, ""
    kind = data.get("type")
    if kind != "mention":
        raise ParseError("type", "only 'mention' notifications carry a customer post")
    return fields.obj(data, "status", "status"), "status."


def _text(status: dict[str, Any], at: str) -> str:
    content = status.get("content")
    if not isinstance(content, str):
        raise ParseError(at + "content", "is required and must be a string")
    # Markup is removed before the length limit applies, so the limit counts words, not tags.
    body = html_to_text(content)
    warning = fields.text(status, "spoiler_text", at + "spoiler_text") or ""
    text = f"{warning.strip()}\n\n{body}".strip() if warning.strip() else body
    if not text:
        media = status.get("media_attachments")
        if isinstance(media, list) and media:
            return "(media without text)"
        raise ParseError(at + "content", "is empty")
    return clean_text(text)


def parse(source: str, body: bytes, content_type: str) -> IncomingPost:
    return parse_object(source, fields.load_object(body))


def parse_object(source: str, data: dict[str, Any]) -> IncomingPost:
    """A status or a mention notification already read as JSON (the poller's items)."""
    status, at = _status(data)
    account = fields.obj(status, "account", at + "account")
    acct = fields.ident(account, "acct", at + "account.acct", required=True) or ""
    if not _ACCT.match(acct):
        raise ParseError(at + "account.acct", "is not a Mastodon account address")
    visibility = fields.text(status, "visibility", at + "visibility", limit=32)
    return IncomingPost(
        source=source,
        external_id=fields.ident(status, "id", at + "id", required=True) or "",
        text=_text(status, at),
        author=Author(
            id=fields.ident(account, "id", at + "account.id", required=True) or "",
            handle="@" + acct.removeprefix("@"),
            name=fields.text(
                account, "display_name", at + "account.display_name", limit=fields.MAX_NAME_CHARS
            )
            or "",
            followers=fields.count(account, "followers_count", at + "account.followers_count"),
        ),
        url=fields.web_url(status, "url", at + "url") or fields.web_url(status, "uri", at + "uri"),
        posted_at=fields.timestamp(status, "created_at", at + "created_at"),
        in_reply_to=fields.ident(status, "in_reply_to_id", at + "in_reply_to_id"),
        language=fields.text(status, "language", at + "language", limit=fields.MAX_ID_CHARS),
        metadata={
            k: v
            for k, v in {
                "visibility": visibility,
                "account_url": fields.web_url(account, "url", at + "account.url"),
            }.items()
            if v
        },
    )
