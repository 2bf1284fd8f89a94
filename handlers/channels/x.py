"""Replies posted with the X API v2 (`POST /2/tweets`) as the brand's account.

X has no idempotency key, so nothing here can make a retry safe. What prevents a
double post is the outbox: a reply row is leased to one attempt at a time and this
connector makes exactly one request per attempt, so a reply is sent again only when
X's answer to the previous attempt never arrived (a timeout or a dropped connection
after the request went out). X refuses an identical text posted again shortly after
as a duplicate (403), which surfaces here as a non-retryable error.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.replies import OutgoingReply
from config.connectors import XConnector
from handlers.channels import outbound
from handlers.channels.base import ReplyReceipt

log = logging.getLogger("casebot.replies")


class XReplies:
    def __init__(self, cfg: XConnector, *, token: str) -> None:
        self._cfg = cfg
        self._token = token

    def send(self, reply: OutgoingReply) -> ReplyReceipt:
        payload: dict[str, Any] = {"text": reply.text}
        if reply.in_reply_to:
            payload["reply"] = {"in_reply_to_tweet_id": reply.in_reply_to}
        resp = outbound.post(
            "x",
            f"{self._cfg.api_base}/2/tweets",
            content=outbound.json_body(payload),
            headers={"Authorization": f"Bearer {self._token}", "Content-Type": "application/json"},
            timeout=self._cfg.timeout_seconds,
        )
        receipt = ReplyReceipt(external_id=outbound.response_id(resp, "data", "id"))
        log.info(
            "reply.sent",
            extra={"connector": "x", "case": reply.case_ref, "tweet": receipt.external_id},
        )
        return receipt
