"""Which parser reads a body sent to `/ingest/{source}`: by source name and content type.

Native formats belong to their well-known source names; normalized JSON is accepted
under any name. `twitter` and `mastodon` are JSON too, so for them the body's shape
decides: a normalized post has a top-level `author`, which neither an X API v2
payload nor a Mastodon status/notification has.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.posts import IncomingPost
from handlers.channels import email, form, mastodon, normalized, twitter
from handlers.channels.base import ParseError
from handlers.channels.limits import load_json

Parser = Callable[[str, bytes, str], IncomingPost | list[IncomingPost]]
"""`parse(source, body, content_type)`; raises `ParseError` naming the bad field. A
list: the body carried several posts (an X API v2 lookup of many tweets)."""

_NATIVE: dict[str, tuple[tuple[str, ...], Parser]] = {
    "twitter": (twitter.CONTENT_TYPES, twitter.parse),
    "mastodon": (mastodon.CONTENT_TYPES, mastodon.parse),
    "email": (email.CONTENT_TYPES, email.parse),
    "form": (form.CONTENT_TYPES, form.parse),
}


def _normalized(source: str, body: bytes, content_type: str) -> IncomingPost:
    return normalized.parse(source, body)


def _looks_normalized(body: bytes) -> bool:
    try:
        data = load_json(body)
    except ParseError:
        return False
    return isinstance(data, dict) and "author" in data


def _json_native_or_normalized(native: Parser) -> Parser:
    def parse(source: str, body: bytes, content_type: str) -> IncomingPost | list[IncomingPost]:
        chosen = _normalized if _looks_normalized(body) else native
        return chosen(source, body, content_type)

    return parse


def media_type(content_type: str | None) -> str:
    """`Application/JSON; charset=utf-8` → `application/json`."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def parser_for(source: str, content_type: str | None) -> Parser | None:
    """The parser for this body, or None when the content type is not accepted (415)."""
    kind = media_type(content_type)
    native = _NATIVE.get(source)
    if native is not None and kind in native[0]:
        parse = native[1]
        return _json_native_or_normalized(parse) if kind in normalized.CONTENT_TYPES else parse
    if kind in normalized.CONTENT_TYPES:
        return _normalized
    return None


def accepted_types(source: str) -> tuple[str, ...]:
    """What `source` accepts, for the 415 answer."""
    native = _NATIVE.get(source)
    extra = tuple(t for t in native[0] if t not in normalized.CONTENT_TYPES) if native else ()
    return (*normalized.CONTENT_TYPES, *extra)
