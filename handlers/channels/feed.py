"""RSS 0.9x/1.0/2.0 and Atom feeds (reviews, forums), read by `feedparser`.

Each entry is a post: its id (`<id>`, `<guid>`) is the post id, else its link, else a
digest of what it says, so the same entry read again is a duplicate. The entry's
author is the customer; an entry without one is its own anonymous author (a review
site's anonymous reviews are not all one person). Content is HTML written by anyone:
it is reduced to plain text here.

The body is handed to feedparser as a stream, never as a string: a string that looks
like a URL or a file name is fetched or opened by feedparser.
"""

from __future__ import annotations

import calendar
import hashlib
import io
from datetime import UTC, datetime
from typing import Any

import feedparser

from bot.posts import Author, IncomingPost
from handlers.channels.base import ParseError, clean_text
from handlers.channels.fields import MAX_ID_CHARS, MAX_NAME_CHARS, is_web_url
from handlers.channels.htmltext import html_to_text

MAX_ENTRIES = 500
"""Entries read from one response; real feeds carry 10 to 50."""


def _id(entry: Any) -> str:
    for key in ("id", "link"):
        value = entry.get(key)
        if isinstance(value, str) and value.strip():
            value = clean_text(value).strip()
            if len(value) <= MAX_ID_CHARS:
                return value
            return "sha256:" + hashlib.sha256(value.encode()).hexdigest()
    said = "\n".join(str(entry.get(k, "")) for k in ("title", "published", "updated", "summary"))
    return "sha256:" + hashlib.sha256(said.encode("utf-8", "replace")).hexdigest()


def _text(entry: Any) -> str:
    title = html_to_text(str(entry.get("title") or "")).strip()
    content = entry.get("content")
    html = ""
    if isinstance(content, list) and content and isinstance(content[0], dict):
        html = str(content[0].get("value") or "")
    body = html_to_text(html or str(entry.get("summary") or "")).strip()
    if body.startswith(title):
        title = ""
    return clean_text("\n\n".join(p for p in (title, body) if p))


def _when(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed"):
        parsed = entry.get(key)
        if parsed:
            try:
                return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
            except (OverflowError, ValueError, OSError):
                return None
    return None


def _author(entry: Any, post_id: str) -> Author:
    detail = entry.get("author_detail") or {}
    name = clean_text(str(detail.get("name") or entry.get("author") or ""), limit=MAX_NAME_CHARS)
    email = str(detail.get("email") or "").strip()
    email = email if "@" in email and len(email) <= MAX_ID_CHARS and " " not in email else ""
    href = str(detail.get("href") or "").strip()
    href = href if is_web_url(href) and len(href) <= MAX_ID_CHARS else ""
    ident = (email.lower() or href or name.strip()[:MAX_ID_CHARS]) or f"anonymous:{post_id}"
    return Author(
        id=clean_text(ident)[:MAX_ID_CHARS],
        handle=email.lower() or name.strip(),
        name=name.strip(),
        email=email or None,
    )


def entry_post(source: str, entry: Any, language: str | None) -> IncomingPost:
    post_id = _id(entry)
    text = _text(entry)
    if not text:
        raise ParseError("entry", "has neither a title nor any text")
    link = clean_text(str(entry.get("link") or "")).strip()
    lang = entry.get("language") or language
    title = html_to_text(str(entry.get("title") or "")).strip()
    return IncomingPost(
        source=source,
        external_id=post_id,
        text=text,
        author=_author(entry, post_id),
        url=link if is_web_url(link) and len(link) <= 2048 else None,
        posted_at=_when(entry),
        language=clean_text(lang)[:16] if isinstance(lang, str) and lang else None,
        metadata={"subject": clean_text(title, limit=MAX_NAME_CHARS)} if title else {},
    )


def parse(source: str, body: bytes, *, url: str = "") -> list[IncomingPost | None]:
    """The feed's entries oldest first; None stands for an entry that makes no post.

    Raises `ParseError` when the body is no feed at all (an HTML error page, JSON)."""
    parsed = feedparser.parse(
        io.BytesIO(body), response_headers={"content-location": url} if url else None
    )
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception")
        raise ParseError("body", f"is not an RSS or Atom feed ({type(problem).__name__})")
    language = parsed.feed.get("language")
    language = language if isinstance(language, str) else None
    out: list[IncomingPost | None] = []
    for entry in parsed.entries[:MAX_ENTRIES]:
        try:
            out.append(entry_post(source, entry, language))
        except ParseError:
            out.append(None)
    dated = [p.posted_at for p in out if p is not None]
    if out and len(dated) == len(out):
        return sorted(out, key=lambda p: p.posted_at if p else datetime.min.replace(tzinfo=UTC))
    return out[::-1]
