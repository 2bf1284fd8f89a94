"""Replies handed to an integration of the customer's own (a CRM, a chat widget, a shop).

The request is signed exactly like the ones Casebot accepts on `/ingest`, so the
integration verifies both directions with one routine; `Idempotency-Key` lets it
drop a reply the outbox sent again after a lost answer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from bot.replies import OutgoingReply
from config.connectors import WebhookConnector
from handlers.channels import outbound
from handlers.channels.base import ReplyReceipt, sign

log = logging.getLogger("casebot.replies")


class WebhookReplies:
    def __init__(
        self, cfg: WebhookConnector, *, secret: str, clock: Callable[[], float] = time.time
    ) -> None:
        self._cfg = cfg
        self._secret = secret
        self._clock = clock

    def send(self, reply: OutgoingReply) -> ReplyReceipt:
        payload: dict[str, Any] = {
            "key": reply.key,
            "case": reply.case_ref,
            "source": reply.source,
            "text": reply.text,
            "in_reply_to": reply.in_reply_to,
            "conversation_id": reply.conversation_id,
            "subject": reply.subject,
            "private": reply.private,
            "customer": {"handle": reply.customer_handle, "email": reply.customer_email},
        }
        headers: dict[str, str] = {}
        if reply.automatic:
            # The e-mail marker, for an integration that passes the message on as mail.
            payload["auto_submitted"] = headers["Auto-Submitted"] = "auto-replied"
        body = outbound.json_body(payload)
        timestamp = str(int(self._clock()))
        resp = outbound.post(
            "webhook",
            self._cfg.url,
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Casebot-Timestamp": timestamp,
                "X-Casebot-Signature": sign(self._secret, body, timestamp),
                "Idempotency-Key": reply.key,
                **headers,
            },
            timeout=self._cfg.timeout_seconds,
        )
        receipt = ReplyReceipt(external_id=outbound.response_id(resp, "id"))
        log.info("reply.sent", extra={"connector": "webhook", "case": reply.case_ref})
        return receipt
