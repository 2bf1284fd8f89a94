"""The worker's deliverer for customer replies: outbox row → connector → result.

The reply's facts come from the core; the connector does one attempt. A retryable
failure goes back to the outbox (after the remote's Retry-After when it gave one);
a permanent one is recorded on the case (a thread line says so) and parked.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from bot import replies
from bot.ids import format_case_id
from bot.slack.outbox import Deliverer, Delivery, GiveUp, RetryLater
from handlers.channels.base import OutgoingReply, ReplyError
from handlers.channels.replies import ReplyConnector
from storage.outbox import Claimed


def reply_deliverer(connectors: Mapping[str, ReplyConnector]) -> Deliverer:
    def deliver(d: Delivery, row: Claimed) -> dict[str, Any]:
        reply_id = int(row.payload["reply_id"])
        with d.db.session() as session:
            facts = replies.facts(session, reply_id, row.key)
        connector = connectors.get(facts.source)
        if connector is None:
            _fail(d, reply_id, f"no reply connector for source '{facts.source}'")
        outgoing = OutgoingReply(
            key=facts.key,
            case_ref=format_case_id(facts.case_id),
            source=facts.source,
            text=facts.text,
            in_reply_to=facts.in_reply_to,
            conversation_id=facts.conversation_id,
            customer_handle=facts.customer_handle,
            customer_email=facts.customer_email,
            subject=facts.subject,
            private=facts.private,
        )
        try:
            receipt = connector.send(outgoing)  # type: ignore[union-attr]
        except ReplyError as exc:
            if exc.retryable:
                if exc.retry_after:
                    raise RetryLater(str(exc), timedelta(seconds=exc.retry_after)) from None
                raise RetryLater(str(exc)) from None
            _fail(d, reply_id, str(exc))
        with d.db.session() as session:
            replies.sent(session, reply_id, external_id=receipt.external_id, now=d.time.now())
        return {"external_id": receipt.external_id}

    return deliver


def _fail(d: Delivery, reply_id: int, error: str) -> None:
    with d.db.session() as session:
        replies.failed(session, reply_id, error=error, now=d.time.now())
    raise GiveUp(error)
