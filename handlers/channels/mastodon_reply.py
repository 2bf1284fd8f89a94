"""Replies posted as statuses from the brand's Mastodon account.

Mastodon deduplicates `POST /api/v1/statuses` by `Idempotency-Key` (for an hour), so
a reply the outbox retries after a lost answer is posted once.
"""

from __future__ import annotations

import logging
import re

from bot.replies import OutgoingReply
from config.connectors import MastodonConnector
from handlers.channels import outbound
from handlers.channels.base import ReplyReceipt

log = logging.getLogger("casebot.replies")


def addressed(text: str, handle: str) -> str:
    """The text with the customer's @handle in front, unless it already mentions them.

    On Mastodon a reply that does not mention its addressee does not notify them.
    """
    handle = "@" + handle.strip().removeprefix("@")
    if handle == "@":
        return text
    mentioned = re.search(rf"(?<![\w@]){re.escape(handle)}(?![\w@.-])", text, re.IGNORECASE)
    return text if mentioned else f"{handle} {text}"


class MastodonReplies:
    def __init__(self, cfg: MastodonConnector, *, token: str) -> None:
        self._cfg = cfg
        self._token = token

    def send(self, reply: OutgoingReply) -> ReplyReceipt:
        payload: dict[str, str] = {"status": addressed(reply.text, reply.customer_handle)}
        if reply.in_reply_to:
            payload["in_reply_to_id"] = reply.in_reply_to
        visibility = "direct" if reply.private else self._cfg.visibility
        if visibility:
            payload["visibility"] = visibility
        resp = outbound.post(
            "mastodon",
            f"{self._cfg.base_url}/api/v1/statuses",
            content=outbound.json_body(payload),
            headers={
                "Authorization": f"Bearer {self._token}",
                "Content-Type": "application/json",
                "Idempotency-Key": reply.key,
            },
            timeout=self._cfg.timeout_seconds,
        )
        receipt = ReplyReceipt(external_id=outbound.response_id(resp, "id"))
        log.info(
            "reply.sent",
            extra={"connector": "mastodon", "case": reply.case_ref, "status": receipt.external_id},
        )
        return receipt
