"""Raw RFC 822 messages (`message/rfc822`), e.g. from an inbound-mail webhook or a mailbox relay.

Mail is the least disciplined input there is: wrong or unknown charsets, missing
parts, malformed headers. Everything is decoded with replacement characters rather
than rejected. What is fatal is what the case cannot do without: a Message-ID (no
deduplication, no threading), a sender address (no one to answer) and any text.
"""

from __future__ import annotations

import re
from datetime import datetime
from email import policy
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from typing import cast

from bot.posts import Author, IncomingPost
from handlers.channels.base import ParseError, clean_text
from handlers.channels.fields import MAX_ID_CHARS, MAX_NAME_CHARS
from handlers.channels.htmltext import html_to_text

CONTENT_TYPES = ("message/rfc822",)

_MSG_ID = re.compile(r"<([^<>\s]+)>")


def message_ids(value: str | None) -> list[str]:
    """The ids in a Message-ID / In-Reply-To / References header, without angle brackets.

    Stored bare so that threading compares like with like; a reply adds the brackets back.
    """
    if not value:
        return []
    found = _MSG_ID.findall(value)
    bare = value.strip()
    if not found and "@" in bare and not any(c.isspace() or c in "<>" for c in bare):
        found = [bare]
    return [clean_text(i) for i in found if len(i) <= MAX_ID_CHARS]


def _raw_header(msg: Message, name: str) -> str | None:
    """The header as sent: the policy's id parsing drops ids it dislikes, threading must not."""
    raw = next((v for k, v in msg.raw_items() if k.lower() == name.lower()), None)
    return None if raw is None else clean_text(str(raw))


def _header(msg: Message, name: str) -> str | None:
    """A header decoded (RFC 2047 words); one the policy cannot parse yields its raw value."""
    try:
        value = msg.get(name)
        return None if value is None else clean_text(str(value))
    except (HeaderParseError, ValueError, TypeError, IndexError):
        return _raw_header(msg, name)


def _decoded(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except (LookupError, ValueError):
        return payload.decode("utf-8", errors="replace")


def _body(msg: EmailMessage) -> str:
    try:
        plain = msg.get_body(preferencelist=("plain",))
        html = None if plain else msg.get_body(preferencelist=("html",))
    except (KeyError, ValueError):
        plain = html = None
    if plain is not None:
        return _decoded(plain)
    if html is not None:
        return html_to_text(_decoded(html))
    return ""


def _author(msg: Message) -> Author:
    raw = _header(msg, "From")
    pairs = getaddresses([raw]) if raw else []
    name, address = pairs[0] if pairs else ("", "")
    if "@" not in address or len(address) > MAX_ID_CHARS:
        raise ParseError("From", "needs one e-mail address")
    try:
        address = Address(addr_spec=address).addr_spec
    except (HeaderParseError, ValueError, IndexError):
        raise ParseError("From", "is not a valid e-mail address") from None
    return Author(
        id=address.lower(),
        handle=address.lower(),
        name=clean_text(name, limit=MAX_NAME_CHARS),
        email=address,
    )


def parse(source: str, body: bytes, content_type: str) -> IncomingPost:
    if not body.strip():
        raise ParseError("body", "is empty")
    msg = cast(EmailMessage, BytesParser(policy=policy.default).parsebytes(body))
    ids = message_ids(_raw_header(msg, "Message-ID"))
    if not ids:
        raise ParseError("Message-ID", "is required (a message id in angle brackets)")
    message_id = ids[0]
    in_reply_to = next(iter(message_ids(_raw_header(msg, "In-Reply-To"))), None)
    references = message_ids(_raw_header(msg, "References"))
    subject = clean_text(_header(msg, "Subject") or "", limit=MAX_NAME_CHARS).strip()
    text = _body(msg).strip()
    if subject:
        text = f"{subject}\n\n{text}" if text else subject
    if not text:
        raise ParseError("body", "has neither a subject nor a text part")
    return IncomingPost(
        source=source,
        external_id=message_id,
        text=clean_text(text),
        author=_author(msg),
        posted_at=_date(_header(msg, "Date")),
        conversation_id=references[0] if references else in_reply_to or message_id,
        in_reply_to=in_reply_to,
        metadata={"subject": subject} if subject else {},
    )


def _date(value: str | None) -> datetime | None:
    """A sender's clock is a hint: an unparseable or zoneless Date is simply dropped."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else None
