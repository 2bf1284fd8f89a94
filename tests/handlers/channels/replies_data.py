"""A reply as the outbox would hand it to a connector."""

from __future__ import annotations

from typing import Any

from bot.replies import OutgoingReply

TOKEN = "tok-SECRET-9f8e7d"
CUSTOMER_EMAIL = "lena.k@customer.example"


def reply(**changes: Any) -> OutgoingReply:
    fields: dict[str, Any] = {
        "key": "reply:42:1",
        "case_ref": "C-42",
        "source": "mastodon",
        "text": "Sorry about that! We've sent a replacement, it arrives Thursday.",
        "in_reply_to": "113512345678901234",
        "conversation_id": "113512300000000000",
        "customer_handle": "@lena@chaos.social",
        "customer_email": CUSTOMER_EMAIL,
        "subject": None,
    }
    fields.update(changes)
    return OutgoingReply(**fields)
