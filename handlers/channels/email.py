"""Raw RFC 822 messages (`message/rfc822`), e.g. from an inbound-mail webhook or a mailbox relay.

Mail is the least disciplined input there is: wrong or unknown charsets, missing
parts, malformed headers, no Message-ID. Everything is decoded with replacement
characters rather than rejected. What is fatal is only what the case cannot do
without: someone to answer (a usable `From`, `Sender` or `Reply-To` mailbox; automated
mail such as a bounce from `MAILER DAEMON <>` needs none) and any text.

A message without a usable Message-ID (RFC 5322 says SHOULD: forms-to-mail gateways
and old clients leave it out) gets a derived one, `derived.<digest>@casebot.invalid`,
where the digest is SHA-256 over the sender address, the `Date` header, the subject
and the body text. A re-delivery of the same message has all four unchanged, so it is
still a duplicate; anything that differs in them is a different message.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from typing import Any, cast

from bot.posts import Author, Automated, IncomingPost
from handlers.channels import mail_parts
from handlers.channels.base import ParseError, clean_text
from handlers.channels.fields import MAX_NAME_CHARS, in_utc
from handlers.channels.mail_automated import classify
from handlers.channels.mail_headers import (
    Mailbox,
    display_name,
    first_mailbox,
    header,
    message_ids,
    raw_header,
)
from handlers.channels.mail_quotes import new_part

CONTENT_TYPES = ("message/rfc822",)

_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_OBS_FIELD_NAME = re.compile(rb"^([!-9;-~]+)[ \t]+:", re.MULTILINE)
_BOUNDARY = re.compile(rb"boundary\s*=", re.IGNORECASE)
MAX_BOUNDARIES = 4 * mail_parts.MAX_DEPTH
"""Multipart containers a message may declare, nested or side by side: the stdlib parser
takes seconds to give up on a thousand nested ones (its recursion limit), so a body
declaring more is refused before it is parsed. Real mail declares a handful."""

__all__ = ["CONTENT_TYPES", "derived_message_id", "message_ids", "parse"]


def derived_message_id(sender: str, date: str, subject: str, body: str) -> str:
    """A stable stand-in for a missing Message-ID (see the module docstring)."""
    text = "\n".join([sender.lower(), date.strip(), subject.strip(), body.strip()])
    digest = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:32]
    return f"derived.{digest}@casebot.invalid"


def _unobsolete(body: bytes) -> bytes:
    """`From  : x` (space before the colon, RFC 5322 obsolete syntax) as `From: x`.

    Receivers must accept the obsolete syntax; the stdlib reads such a line as the end
    of the headers. Only the header block is touched.
    """
    blank = _BLANK_LINE.search(body)
    end = blank.start() if blank else len(body)
    return _OBS_FIELD_NAME.sub(rb"\1:", body[:end]) + body[end:]


def _parsed(body: bytes) -> tuple[EmailMessage, list[mail_parts.Part]]:
    if len(_BOUNDARY.findall(body)) > MAX_BOUNDARIES:
        raise ParseError(
            "Content-Type", f"declares more than {MAX_BOUNDARIES} multipart boundaries"
        )
    try:
        msg = cast(EmailMessage, BytesParser(policy=policy.default).parsebytes(_unobsolete(body)))
    except RecursionError:
        raise ParseError(
            "Content-Type", f"nests MIME parts deeper than {mail_parts.MAX_DEPTH} levels"
        ) from None
    return msg, mail_parts.walk(msg)


def _author(msg: EmailMessage, mailbox: Mailbox | None, automated: Automated | None) -> Author:
    if mailbox is not None:
        address = mailbox.address
        name = clean_text(mailbox.name, limit=MAX_NAME_CHARS)
        return Author(id=address.lower(), handle=address.lower(), name=name, email=address)
    if automated is None:
        raise ParseError("From", "needs one e-mail address (From, Sender or Reply-To)")
    return Author(id="mailer-daemon", name=display_name(msg, "From") or "Mail delivery system")


def _is_reply(msg: EmailMessage) -> bool:
    return bool(raw_header(msg, "In-Reply-To") or raw_header(msg, "References"))


def parse(source: str, body: bytes, content_type: str) -> IncomingPost:
    if not body.strip():
        raise ParseError("body", "is empty")
    msg, parts = _parsed(body)
    mailbox = first_mailbox(msg)
    automated = classify(parts, mailbox)
    author = _author(msg, mailbox, automated)
    subject = clean_text(header(msg, "Subject") or "", limit=MAX_NAME_CHARS).strip()
    full = clean_text(mail_parts.body_text(msg).strip())
    trimmed = new_part(full) if _is_reply(msg) and automated is None else full
    text = f"{subject}\n\n{trimmed}" if subject and trimmed else subject or trimmed
    if not text and automated is not None:
        text = automated.reason
    if not text:
        raise ParseError("body", "has neither a subject nor a text part")

    ids = message_ids(raw_header(msg, "Message-ID"))
    message_id = (
        ids[0]
        if ids
        else derived_message_id(
            author.email or header(msg, "From") or "", raw_header(msg, "Date") or "", subject, full
        )
    )
    in_reply_to = next(iter(message_ids(raw_header(msg, "In-Reply-To"))), None)
    references = message_ids(raw_header(msg, "References"))
    metadata: dict[str, Any] = {"subject": subject} if subject else {}
    if trimmed != full:
        metadata["full_text"] = full
    if files := mail_parts.attachments(parts):
        metadata["attachments"] = files
    return IncomingPost(
        source=source,
        external_id=message_id,
        text=clean_text(text),
        author=author,
        posted_at=_date(header(msg, "Date")),
        conversation_id=references[0] if references else in_reply_to or message_id,
        in_reply_to=in_reply_to,
        metadata=metadata,
        automated=automated,
    )


def _date(value: str | None) -> datetime | None:
    """A sender's clock is a hint: an unparseable or zoneless Date, or one that is no
    time in UTC (`Fri, 31 Dec 9999 23:59:59 -1200`), is simply dropped."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo is not None and in_utc(parsed) is not None else None
