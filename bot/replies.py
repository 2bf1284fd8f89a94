"""Replies to the customer: the only way anything typed in Slack reaches a customer.

A reply is a row with a status; it goes out through the outbox (retried, never
doubled) and, when the source requires it, only after a second person approved it.
The first reply that reaches the customer stops the first-response clock; one that
fails does not count as an answer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot import effects
from bot.answered import Answered
from bot.cases import get_case
from bot.events import (
    DomainEvent,
    InvalidTransition,
    NotAllowed,
    Refused,
    ReplyApproved,
    ReplyDiscarded,
    ReplyFailed,
    ReplyRequested,
    ReplySent,
)
from bot.ids import Surface, format_case_id
from bot.outbox import kinds
from bot.outbox.kinds import CustomerReply
from bot.state import Action, require
from config.schema import CasebotConfig
from storage import queries
from storage.models import MAX_ID, Customer, Post, Reply

MAX_REPLY_CHARS = 3000


@dataclass(frozen=True, kw_only=True)
class OutgoingReply:
    """An agent's answer on its way to the customer, through the source's connector.

    `key` is the outbox row's idempotency key: the same reply retried carries the same
    key, which connectors hand to remotes that deduplicate (Idempotency-Key headers,
    a deterministic e-mail Message-ID).
    """

    key: str
    case_ref: str
    source: str
    text: str
    in_reply_to: str | None
    conversation_id: str | None
    customer_handle: str
    customer_email: str | None
    subject: str | None
    private: bool = False
    """The customer wrote privately (e.g. a Mastodon direct message): do not answer in public."""
    automatic: bool = False
    """Sent by Casebot itself (the acknowledgement), not typed by a person: marked as such
    where the channel has a way (RFC 3834 `Auto-Submitted: auto-replied` in e-mail), so
    the customer's mail system sends no auto-reply back."""


def _queue(session: Session, reply: Reply, now: datetime, key: str | None = None) -> None:
    reply.status = "queued"
    kinds.enqueue(
        session,
        CustomerReply(reply_id=reply.id or 0),
        key=key or f"reply:{reply.id}:{uuid.uuid4()}",
        case_id=reply.case_id,
        now=now,
    )


def request(
    session: Session,
    case_id: int,
    *,
    text: str,
    actor: str,
    surface: Surface,
    now: datetime,
    config: CasebotConfig,
    key: str | None = None,
) -> list[DomainEvent]:
    """Queue an answer to the customer, or park it for approval when the source says so.
    `key`: the outbox key, when the caller has one that names this reply once."""
    case = get_case(session, case_id)
    require(case_id, case.status, Action.REPLY)
    source = config.sources.get(case.source)
    if source is None or source.reply is None:
        raise InvalidTransition(
            case_id,
            f"there is no reply connector for '{case.source}', so Casebot cannot answer there."
            " Answer the customer on that channel and record it with a note.",
        )
    needs_approval = source.require_approval
    text = text.strip()
    if not text:
        raise InvalidTransition(case_id, "the reply is empty.")
    if len(text) > MAX_REPLY_CHARS:
        raise InvalidTransition(case_id, f"the reply is longer than {MAX_REPLY_CHARS} characters.")
    reply = Reply(
        case_id=case_id,
        author_id=actor,
        text=text,
        status="pending_approval" if needs_approval else "queued",
        created_at=now,
    )
    session.add(reply)
    session.flush()
    if not needs_approval:
        _queue(session, reply, now, key)
    event = ReplyRequested(
        case_id=case_id,
        actor=actor,
        surface=surface,
        at=now,
        reply_id=reply.id or 0,
        text=text,
        needs_approval=needs_approval,
    )
    effects.publish(session, [event])
    return [event]


def _pending(session: Session, reply_id: int) -> Reply:
    reply = session.get(Reply, reply_id) if 0 < reply_id <= MAX_ID else None
    if reply is None or reply.status != "pending_approval":
        raise InvalidTransition(
            reply.case_id if reply else 0, "that reply is no longer waiting for approval."
        )
    return reply


def approve(
    session: Session, reply_id: int, *, actor: str, surface: Surface, now: datetime
) -> list[DomainEvent]:
    """A second person lets the reply go out; its author cannot approve their own."""
    reply = _pending(session, reply_id)
    if reply.author_id == actor:
        raise NotAllowed("A second person must approve this reply, not its author.")
    reply.approver_id = actor
    _queue(session, reply, now)
    event = ReplyApproved(
        case_id=reply.case_id, actor=actor, surface=surface, at=now, reply_id=reply_id
    )
    effects.publish(session, [event])
    return [event]


def discard(
    session: Session, reply_id: int, *, actor: str, surface: Surface, now: datetime
) -> list[DomainEvent]:
    reply = _pending(session, reply_id)
    reply.status = "discarded"
    event = ReplyDiscarded(
        case_id=reply.case_id, actor=actor, surface=surface, at=now, reply_id=reply_id
    )
    effects.publish(session, [event])
    return [event]


def _answered(session: Session, case_id: int, now: datetime) -> None:
    """The customer has been answered: the first-response clock stops at the first one."""
    case = get_case(session, case_id)
    if case.first_response_at is None:
        case.first_response_at = now
        case.answered = Answered.REPLIED.value
    case.updated_at = now


def facts(session: Session, reply_id: int, key: str) -> OutgoingReply:
    """The reply as its connector sends it; `key` is the outbox row's."""
    reply = session.get(Reply, reply_id)
    if reply is None:
        raise Refused(f"Reply {reply_id} does not exist.")
    case = get_case(session, reply.case_id)
    customer = session.get(Customer, case.customer_id)
    latest_id = queries.latest_post_id(session, case_id=reply.case_id)
    latest = session.get(Post, latest_id) if latest_id else None
    return OutgoingReply(
        key=key,
        case_ref=format_case_id(reply.case_id),
        source=case.source,
        text=reply.text,
        in_reply_to=latest.external_id if latest else None,
        conversation_id=latest.conversation_id if latest else None,
        customer_handle=latest.author_handle if latest else "",
        customer_email=customer.email if customer else None,
        subject=(latest.extra or {}).get("subject") if latest else None,
        private=bool(latest and (latest.extra or {}).get("visibility") in ("direct", "private")),
    )


def sent(
    session: Session, reply_id: int, *, external_id: str | None, now: datetime
) -> list[DomainEvent]:
    reply = session.get(Reply, reply_id)
    if reply is None:
        return []
    reply.status, reply.external_id, reply.sent_at = "sent", external_id, now
    _answered(session, reply.case_id, now)
    event = ReplySent(
        case_id=reply.case_id,
        actor=reply.author_id,
        surface=Surface.WORKER,
        at=now,
        reply_id=reply_id,
        text=reply.text,
    )
    effects.publish(session, [event])
    return [event]


def failed(session: Session, reply_id: int, *, error: str, now: datetime) -> list[DomainEvent]:
    reply = session.get(Reply, reply_id)
    if reply is None:
        return []
    reply.status, reply.error = "failed", error
    event = ReplyFailed(
        case_id=reply.case_id,
        actor=reply.author_id,
        surface=Surface.WORKER,
        at=now,
        reply_id=reply_id,
        error=error,
    )
    effects.publish(session, [event])
    return [event]
