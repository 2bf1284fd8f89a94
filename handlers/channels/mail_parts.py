"""The MIME tree of an e-mail: how deep it goes, its text, and what is attached.

Everything here walks the tree with an explicit stack, never recursion, and the stdlib
calls that do recurse (`get_body`) run only after the depth has been checked: a
message nested a thousand levels deep is a 400, not a RecursionError.
"""

from __future__ import annotations

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


def _children(part: Message) -> list[Message]:
    """Sub-parts (an attached message counts as one); a report's status blocks are not parts."""
    if part.get_content_type() == "message/delivery-status" or not part.is_multipart():
        return []
    return [p for p in part.get_payload() if isinstance(p, Message)]


def check_depth(msg: Message, limit: int = MAX_DEPTH) -> None:
    stack: list[tuple[Message, int]] = [(msg, 1)]
    while stack:
        part, depth = stack.pop()
        if depth > limit:
            raise ParseError("Content-Type", f"nests MIME parts deeper than {limit} levels")
        stack.extend((child, depth + 1) for child in _children(part))


def walk(msg: Message) -> list[Message]:
    """Every part, depth first in document order (the depth was checked already)."""
    out: list[Message] = []
    stack = [msg]
    while stack:
        part = stack.pop()
        out.append(part)
        stack.extend(reversed(_children(part)))
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


def _size(part: Message) -> int:
    if part.get_content_type() in _MESSAGES:
        inner = _children(part)
        try:
            return sum(len(m.as_bytes()) for m in inner)
        except (UnicodeError, LookupError, ValueError, TypeError):
            return sum(len(str(m)) for m in inner)
    payload = part.get_payload(decode=True)
    return len(payload) if isinstance(payload, bytes) else 0


def _is_attachment(part: Message) -> bool:
    ctype = part.get_content_type()
    if ctype in _REPORT_PARTS or (part.is_multipart() and ctype not in _MESSAGES):
        return False
    disposition = part.get_content_disposition()
    if ctype in _MESSAGES or disposition == "attachment" or part.get_filename():
        return True
    return part.get_content_maintype() != "text"


def attachments(msg: Message) -> list[dict[str, Any]]:
    """Name, type and size in bytes of every attached file; never the bytes themselves.

    An attached message (`message/rfc822`, e.g. a forwarded mail or the original in a
    bounce) counts as one attachment, its size as the parser re-serialises it (within a
    few bytes of what was sent); its own attachments are not listed.
    """
    found: list[dict[str, Any]] = []
    stack = list(reversed(_children(msg)))
    while stack and len(found) < MAX_ATTACHMENTS:
        part = stack.pop()
        if _is_attachment(part):
            try:
                name = part.get_filename()
            except (ValueError, TypeError, LookupError):
                name = None
            found.append(
                {
                    "filename": clean_text(name, limit=255) if name else None,
                    "content_type": part.get_content_type()[:127],
                    "size": _size(part),
                }
            )
        elif part.get_content_type() not in _MESSAGES:
            stack.extend(reversed(_children(part)))
    return found
