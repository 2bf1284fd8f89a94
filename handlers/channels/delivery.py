"""The worker's deliverers for what reaches the customer: outbox row → connector → result
(plugins of `bot.outbox.runner`, like the Slack ones).

Two kinds go through the source's reply connector: an agent's reply, and the automatic
acknowledgement of a new case. The facts come from the core; the connector does one
attempt. A retryable failure goes back to the outbox (after the remote's Retry-After
when it gave one); a permanent one is recorded on the case (a thread line says so) and
parked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from bot import acknowledge, replies
from bot.outbox import kinds
from bot.outbox.runner import Attempt, Deliverer, Delivery, GiveUp, RetryLater
from bot.replies import OutgoingReply
from handlers.channels.base import ReplyError, ReplyReceipt
from handlers.channels.replies import ReplyConnector


def _send(
    connectors: Mapping[str, ReplyConnector],
    outgoing: OutgoingReply,
    fail: Callable[[str], None],
) -> ReplyReceipt:
    """One attempt; `fail` records a permanent failure on the case before the row parks."""
    connector = connectors.get(outgoing.source)
    if connector is None:
        error = f"no reply connector for source '{outgoing.source}'"
        fail(error)
        raise GiveUp(error)
    try:
        return connector.send(outgoing)
    except ReplyError as exc:
        if exc.retryable:
            after = timedelta(seconds=exc.retry_after) if exc.retry_after else None
            raise RetryLater(str(exc), after) from None
        fail(str(exc))
        raise GiveUp(str(exc)) from None


def reply_deliverer(connectors: Mapping[str, ReplyConnector]) -> Deliverer:
    def deliver(d: Delivery, a: Attempt) -> dict[str, Any]:
        reply_id = kinds.read(a.row, kinds.CustomerReply).reply_id
        with d.db.session() as session:
            outgoing = replies.facts(session, reply_id, a.row.key)

        def fail(error: str) -> None:
            with d.db.session() as session:
                replies.failed(session, reply_id, error=error, now=d.time.now())

        receipt = _send(connectors, outgoing, fail)
        with d.db.session() as session:
            replies.sent(session, reply_id, external_id=receipt.external_id, now=d.time.now())
        return {"external_id": receipt.external_id}

    return deliver


def acknowledgement_deliverer(
    connectors: Mapping[str, ReplyConnector], public_url: str | None
) -> Deliverer:
    """The acknowledgement goes privately where the channel can (a Mastodon `direct`
    status): it carries the case's status link."""

    def deliver(d: Delivery, a: Attempt) -> dict[str, Any]:
        assert a.row.case_id is not None
        case_id, key = a.row.case_id, a.row.key
        with d.db.session() as session:
            facts = acknowledge.prepare(
                session,
                case_id,
                key=key,
                kept_link=kinds.read(a.row, kinds.Acknowledgement).link,
                config=d.config,
                public_url=public_url,
                now=d.time.now(),
            )
        if facts is None:
            return {"skipped": "not to be sent (any more)"}

        def fail(error: str) -> None:
            with d.db.session() as session:
                acknowledge.failed(session, case_id, key=key, error=error, now=d.time.now())

        receipt = _send(connectors, facts.reply, fail)
        with d.db.session() as session:
            acknowledge.sent(
                session,
                case_id,
                key=key,
                external_id=receipt.external_id,
                promised_at=facts.promised_at,
                now=d.time.now(),
            )
        return {"external_id": receipt.external_id, "promised_at": facts.promised_at.isoformat()}

    return deliver
