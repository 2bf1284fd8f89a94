"""Mail written by machines: bounces, delivery reports, auto-replies and bulk mail.

A support inbox receives plenty of it, and none of it is a customer asking for help:
a bounce says one of our replies never arrived (RFC 3464 delivery status notification),
an out-of-office answer says nothing new (RFC 3834), a newsletter is not a complaint.
Each is recognised by the markers the standards and the big senders use, checked in
this order (the first that holds names the kind):

1. bounce: `multipart/report; report-type=delivery-status` with an `Action: failed`
   recipient (or no per-recipient fields at all), an `X-Failed-Recipients` header, or a
   sender named MAILER-DAEMON / postmaster (also `MAILER DAEMON <>` with no address);
   a report whose recipients were only delayed, relayed or delivered, or a read
   receipt (`report-type=disposition-notification`), is a delivery report;
2. auto-reply: `Auto-Submitted` other than `no`, `X-Autoreply`, `X-Autorespond`;
3. bulk: `Precedence: bulk`, `junk` or `list`;
4. auto-reply: a no-reply sender, or a null `Return-Path: <>` (RFC 5321 reserves it
   for notifications).
"""

from __future__ import annotations

import re
from email.message import Message
from email.parser import HeaderParser

from bot.posts import Automated, AutomatedKind
from handlers.channels import mail_parts
from handlers.channels.mail_headers import (
    Mailbox,
    display_name,
    header,
    message_ids,
    raw_header,
)
from handlers.channels.mail_parts import Part

_DAEMONS = re.compile(
    r"^(?:mailer[-_ ]?daemon|postmaster|mail[-_ ]?delivery[-_ ]?(?:system|subsystem))$", re.I
)
_BODY_MESSAGE_ID = re.compile(r"^Message-ID:[ \t]*(<[^<>\s]+>)", re.I | re.M)
_RECIPIENT = re.compile(r"^\s*rfc822\s*;\s*(\S+@\S+)\s*$", re.I)
MAX_IDS = 20


def _dsn_blocks(parts: list[Part]) -> list[Message]:
    return [
        block
        for part in parts
        if part.ctype in ("message/delivery-status", "message/global-delivery-status")
        and part.msg.is_multipart()
        for block in part.msg.get_payload()
        if isinstance(block, Message)
    ]


def _original_ids(parts: list[Part]) -> tuple[str, ...]:
    """The Message-IDs a report is about: from the returned message or its headers, else
    the report's own In-Reply-To / References, else a `Message-ID:` line in its text."""
    msg = parts[0].msg
    ids: list[str] = []
    for part in parts:
        if part.ctype in ("message/rfc822", "message/global") and part.msg.is_multipart():
            inner = part.msg.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                ids += message_ids(raw_header(inner[0], "Message-ID"))
        elif part.ctype in ("text/rfc822-headers", "message/global-headers"):
            headers = HeaderParser().parsestr(mail_parts.decoded(part.msg), headersonly=True)
            ids += message_ids(headers.get("Message-ID"))
    if not ids:
        ids += message_ids(raw_header(msg, "In-Reply-To"))
        ids += message_ids(raw_header(msg, "References"))
    if not ids:
        ids += [
            i for m in _BODY_MESSAGE_ID.findall(mail_parts.body_text(msg)) for i in message_ids(m)
        ]
    return tuple(dict.fromkeys(ids))[:MAX_IDS]


def _failed_recipients(msg: Message, blocks: list[Message]) -> tuple[str, ...]:
    found: list[str] = []
    for block in blocks:
        if str(block.get("Action", "")).strip().lower() == "failed":
            m = _RECIPIENT.match(str(block.get("Final-Recipient", "")))
            if m:
                found.append(m.group(1).strip("<>"))
    for value in (header(msg, "X-Failed-Recipients") or "").split(","):
        if "@" in value:
            found.append(value.strip())
    return tuple(dict.fromkeys(a.lower() for a in found))[:MAX_IDS]


def _report(parts: list[Part]) -> Automated | None:
    msg = parts[0].msg
    report_type = str(msg.get_param("report-type", "") or "").lower()
    if parts[0].ctype != "multipart/report":
        report_type = ""
    if report_type == "disposition-notification":
        return Automated(
            kind=AutomatedKind.DELIVERY_REPORT,
            reason="read receipt (RFC 8098)",
            original_ids=_original_ids(parts),
        )
    blocks = _dsn_blocks(parts)
    actions = {str(b.get("Action", "")).strip().lower() for b in blocks} - {""}
    failed = _failed_recipients(msg, blocks)
    if report_type == "delivery-status" or blocks:
        if actions and "failed" not in actions:
            return Automated(
                kind=AutomatedKind.DELIVERY_REPORT,
                reason=f"delivery status: {', '.join(sorted(actions))}",
                original_ids=_original_ids(parts),
            )
        return Automated(
            kind=AutomatedKind.BOUNCE,
            reason="delivery status: failed",
            original_ids=_original_ids(parts),
            failed_recipients=failed,
        )
    if failed:
        return Automated(
            kind=AutomatedKind.BOUNCE,
            reason="X-Failed-Recipients",
            original_ids=_original_ids(parts),
            failed_recipients=failed,
        )
    return None


def _from_daemon(msg: Message, sender: Mailbox | None) -> bool:
    """MAILER-DAEMON@… or postmaster@… sent it, or a `From` with such a name and no address."""
    if sender is not None and sender.header == "From":
        return bool(_DAEMONS.match(sender.address.rsplit("@", 1)[0]))
    return bool(_DAEMONS.match(display_name(msg, "From")))


def classify(parts: list[Part], sender: Mailbox | None) -> Automated | None:
    """What kind of automated mail this is, or None for mail a person wrote.

    `parts` is the message's MIME tree (`mail_parts.walk`, the message first); `sender`
    is the mailbox the post is attributed to (see `first_mailbox`).
    """
    msg = parts[0].msg
    report = _report(parts)
    if report is not None:
        return report
    if _from_daemon(msg, sender):
        return Automated(
            kind=AutomatedKind.BOUNCE,
            reason="sent by the mail system",
            original_ids=_original_ids(parts),
        )
    submitted = (header(msg, "Auto-Submitted") or "").split(";", 1)[0].strip().lower()
    if submitted and submitted != "no":
        return Automated(
            kind=AutomatedKind.AUTO_REPLY,
            reason=f"Auto-Submitted: {submitted}",
            original_ids=_original_ids(parts),
        )
    for name in ("X-Autoreply", "X-Autorespond"):
        if raw_header(msg, name) is not None:
            return Automated(
                kind=AutomatedKind.AUTO_REPLY, reason=name, original_ids=_original_ids(parts)
            )
    precedence = (header(msg, "Precedence") or "").strip().lower()
    if precedence in ("bulk", "junk", "list"):
        return Automated(kind=AutomatedKind.BULK, reason=f"Precedence: {precedence}")
    if sender is not None and sender.no_reply:
        return Automated(kind=AutomatedKind.AUTO_REPLY, reason="no-reply sender")
    if (raw_header(msg, "Return-Path") or "").strip() == "<>":
        return Automated(
            kind=AutomatedKind.AUTO_REPLY,
            reason="Return-Path: <>",
            original_ids=_original_ids(parts),
        )
    return None
