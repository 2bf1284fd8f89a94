"""The MIME tree of an e-mail: how deep it goes, its text, and what is attached.

Everything here walks the tree with an explicit stack, never recursion, and the stdlib
calls that do recurse (`get_body`) run only after the depth has been checked: a
message nested a thousand levels deep is a 400, not a RecursionError.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage, Message
from typing import Any

from handlers.channels.base import ParseError, clean_text
from handlers.channels.htmltext import html_to_text

MAX_DEPTH = 50
MAX_ATTACHMENTS = 50

_REPORT_PARTS = {
    "message/delivery-status",
    "message/global-delivery-status",
    "message/disposition-notification",
    "text/rfc822-headers",
    "message/global-headers",
}
_MESSAGES = {"message/rfc822", "message/global"}


@dataclass(frozen=True)
class Part:
    """One MIME part with its type read once (reading it re-parses the header every time)."""

    msg: Message
    ctype: str
    depth: int


def _children(part: Message, ctype: str) -> list[Message]:
    """Sub-parts (an attached message counts as one); a report's status blocks are not parts."""
    if ctype == "message/delivery-status" or not part.is_multipart():
        return []
    return [p for p in part.get_payload() if isinstance(p, Message)]


def walk(msg: Message, limit: int = MAX_DEPTH) -> list[Part]:
    """Every part, depth first in document order; deeper than `limit` is a 400."""
    out: list[Part] = []
    stack: list[tuple[Message, int]] = [(msg, 1)]
    while stack:
        part, depth = stack.pop()
        if depth > limit:
            raise ParseError("Content-Type", f"nests MIME parts deeper than {limit} levels")
        node = Part(part, part.get_content_type(), depth)
        out.append(node)
        stack.extend((child, depth + 1) for child in reversed(_children(part, node.ctype)))
    return out


def decoded(part: Message) -> str:
    """A text part's content: its declared charset when that is right, else UTF-8, else cp1252.

    Mail often says `us-ascii` (or nothing) and sends 8-bit bytes anyway; cp1252 is
    what such senders almost always meant, and it maps every byte, so nothing raises.
    """
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    declared = part.get_content_charset()
    for charset in (declared, "utf-8"):
        if not charset:
            continue
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    return payload.decode("cp1252", errors="replace")


def body_text(msg: EmailMessage) -> str:
    """The plain-text body, else the HTML body as text, else nothing."""
    try:
        plain = msg.get_body(preferencelist=("plain",))
        html = None if plain else msg.get_body(preferencelist=("html",))
    except (KeyError, ValueError, TypeError):
        plain = html = None
    if plain is not None:
        return decoded(plain)
    if html is not None:
        return html_to_text(decoded(html))
    return ""


def _size(part: Part) -> int:
    if part.ctype in _MESSAGES:
        inner = _children(part.msg, part.ctype)
        try:
            return sum(len(m.as_bytes()) for m in inner)
        except (UnicodeError, LookupError, ValueError, TypeError):
            return sum(len(str(m)) for m in inner)
    payload = part.msg.get_payload(decode=True)
    return len(payload) if isinstance(payload, bytes) else 0


def _is_attachment(part: Part) -> bool:
    if part.ctype in _REPORT_PARTS or (part.msg.is_multipart() and part.ctype not in _MESSAGES):
        return False
    if part.ctype in _MESSAGES or part.msg.get_content_disposition() == "attachment":
        return True
    return bool(_filename(part.msg)) or not part.ctype.startswith("text/")


def _filename(msg: Message) -> str | None:
    try:
        return msg.get_filename()
    except (ValueError, TypeError, LookupError):
        return None


def attachments(parts: list[Part]) -> list[dict[str, Any]]:
    """Name, type and size in bytes of every attached file; never the bytes themselves.

    An attached message (`message/rfc822`, e.g. a forwarded mail or the original in a
    bounce) counts as one attachment, its size as the parser re-serialises it (within a
    few bytes of what was sent); its own attachments are not listed.
    """
    found: list[dict[str, Any]] = []
    inside = 0
    for part in parts[1:]:
        if inside and part.depth > inside:
            continue
        inside = 0
        if not _is_attachment(part):
            continue
        if part.ctype in _MESSAGES:
            inside = part.depth
        name = _filename(part.msg)
        found.append(
            {
                "filename": clean_text(name, limit=255) if name else None,
                "content_type": part.ctype[:127],
                "size": _size(part),
            }
        )
        if len(found) == MAX_ATTACHMENTS:
            break
    return found
