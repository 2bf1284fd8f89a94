"""Mail written by machines (`IncomingPost.automated`): kept, but never a customer turn.

A bounce, an out-of-office answer or a newsletter is accepted (stored once, answered
202 like any post) and never opens a case on its own. When it is about one of our
messages (the Message-IDs it names, or the one it replies to), it is recorded on that
message's case: a bounce marks the reply (or the acknowledgement) undelivered and says
so in the thread; anything else is an audit line. No clock moves: a machine answering
is not the customer writing.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot import effects
from bot.events import SYSTEM, AutomatedMailReceived, DomainEvent, MessageBounced
from bot.ids import Surface
from bot.posts import Automated, AutomatedKind, IncomingPost
from storage import acknowledgements

UNDELIVERED = "undelivered"


def _ids(post: IncomingPost, automated: Automated) -> list[str]:
    found = list(automated.original_ids)
    if post.in_reply_to:
        found.append(post.in_reply_to)
    return list(dict.fromkeys(found))


def record(session: Session, post: IncomingPost, post_id: int, now: datetime) -> int | None:
    """Record automated mail on the case it concerns; that case's id, or None."""
    automated = post.automated
    assert automated is not None
    ids = _ids(post, automated)
    replies = acknowledgements.replies_with_ids(session, source=post.source, external_ids=ids)
    acks = acknowledgements.acks_with_ids(session, source=post.source, external_ids=ids)
    bounce = automated.kind is AutomatedKind.BOUNCE
    events: list[DomainEvent] = []
    common = {"actor": SYSTEM, "surface": Surface.INGEST, "at": now}
    for reply in replies:
        if bounce:
            reply.status, reply.error = UNDELIVERED, automated.reason
        events.append(_event(automated, reply.case_id, "reply", reply.id, post_id, common))
    for ack in acks:
        if bounce:
            ack.state, ack.reason = UNDELIVERED, automated.reason
        events.append(_event(automated, ack.case_id, "acknowledgement", None, post_id, common))
    effects.publish(session, events)
    return events[0].case_id if events else None


def _event(
    automated: Automated,
    case_id: int,
    what: str,
    reply_id: int | None,
    post_id: int,
    common: dict[str, object],
) -> DomainEvent:
    if automated.kind is AutomatedKind.BOUNCE:
        return MessageBounced(
            case_id=case_id,
            what=what,
            reply_id=reply_id,
            reason=automated.reason,
            post_id=post_id,
            **common,  # type: ignore[arg-type]
        )
    return AutomatedMailReceived(
        case_id=case_id,
        automated_kind=automated.kind.value,
        reason=automated.reason,
        post_id=post_id,
        **common,  # type: ignore[arg-type]
    )
