"""A customer post arrives: store it once, find or open its case, queue the card."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot import acknowledge, effects, priority, routing
from bot.events import SYSTEM, CaseOpened, CustomerReturned, DomainEvent, PostAdded
from bot.ids import Surface
from bot.posts import IncomingPost
from config.schema import CasebotConfig
from storage import queries
from storage.db import Database
from storage.models import Case, Customer, CustomerIdentity, Post

NEW_TIER = "standard"
"""A new customer's tier (the column's default), until someone sets it."""


@dataclass(frozen=True)
class Received:
    case_id: int
    post_id: int
    duplicate: bool


@dataclass(frozen=True)
class _Customer:
    id: int
    tier: str
    new: bool
    """Made by this post: it can have no case yet, so no case is looked up for it."""


def _customer(session: Session, post: IncomingPost, now: datetime) -> _Customer:
    """One person across channels: a known handle, else a known e-mail, else someone new.

    A new customer and their handle are written with plain INSERTs (no ORM flush): the
    hot path of a burst of new people, and nothing later in the unit of work reads them
    as objects."""
    identity = queries.find_identity(session, source=post.source, external_id=post.author.id)
    if identity:
        found = session.get(Customer, identity.customer_id)
        if found:
            return _Customer(found.id or 0, found.tier, new=False)
    customer = (
        queries.find_customer_by_email(session, email=post.author.email)
        if post.author.email
        else None
    )
    if customer is None:
        made = _Customer(
            queries.insert_returning_id(
                session,
                Customer,
                name=post.author.name or post.author.handle,
                email=post.author.email,
                tier=NEW_TIER,
                created_at=now,
            ),
            NEW_TIER,
            new=True,
        )
    else:
        made = _Customer(customer.id or 0, customer.tier, new=False)
    session.add(
        CustomerIdentity(
            customer_id=made.id,
            source=post.source,
            external_id=post.author.id,
            handle=post.author.handle,
            followers=post.author.followers,
        )
    )
    return made


def _conversation_key(post: IncomingPost) -> str | None:
    return f"{post.source}:{post.conversation_id}" if post.conversation_id else None


def receive(
    session: Session, post: IncomingPost, *, now: datetime, config: CasebotConfig
) -> Received:
    """Store the post and attach it to a case. Idempotent on `(source, external_id)`.

    A concurrent duplicate trips the unique constraint at flush; the caller's unit of
    work is retried once and then takes the duplicate branch.
    """
    existing = queries.find_post(session, source=post.source, external_id=post.external_id)
    if existing:
        return Received(existing.case_id or 0, existing.id or 0, duplicate=True)

    customer = _customer(session, post, now)
    case = (
        None
        if customer.new
        else queries.open_case_for_thread(
            session,
            source=post.source,
            customer_id=customer.id,
            conversation_key=_conversation_key(post),
            in_reply_to=post.in_reply_to,
        )
    )
    events: list[DomainEvent]
    if case is not None:
        post_id = _insert_post(session, post, case.id or 0, customer.id, now)
        case.updated_at = now
        events = []
        if case.status == "waiting":
            case.status = "open"
            events.append(
                CustomerReturned(case_id=case.id or 0, actor=SYSTEM, surface=Surface.INGEST, at=now)
            )
        events.append(
            PostAdded(
                case_id=case.id or 0,
                actor=SYSTEM,
                surface=Surface.INGEST,
                at=now,
                post_id=post_id,
            )
        )
    else:
        case, rule = _open_case(session, post, customer, now, config)
        post_id = _insert_post(session, post, case.id or 0, customer.id, now)
        acknowledge.on_open(session, case, post, config, now)
        events = [
            CaseOpened(
                case_id=case.id or 0,
                actor=SYSTEM,
                surface=Surface.INGEST,
                at=now,
                department=case.department,
                priority=case.priority,
                rule=rule,
            )
        ]
    effects.publish(session, events)
    return Received(case.id or 0, post_id, duplicate=False)


def _insert_post(
    session: Session, post: IncomingPost, case_id: int, customer_id: int, now: datetime
) -> int:
    """The post's row, written once its case is known (so no later UPDATE of `case_id`),
    with a plain INSERT: nothing in the unit of work reads it back as an object."""
    return queries.insert_returning_id(
        session,
        Post,
        source=post.source,
        external_id=post.external_id,
        case_id=case_id,
        customer_id=customer_id,
        text=post.text,
        url=post.url,
        author_handle=post.author.handle,
        author_name=post.author.name,
        conversation_id=post.conversation_id,
        in_reply_to=post.in_reply_to,
        language=post.language,
        extra=post.metadata,
        posted_at=post.posted_at or now,
        received_at=now,
    )


def _open_case(
    session: Session,
    post: IncomingPost,
    customer: _Customer,
    now: datetime,
    config: CasebotConfig,
) -> tuple[Case, str | None]:
    decision = routing.route(post, customer.tier, config)
    if decision.priority:
        level, reason = decision.priority, f"rule '{decision.rule}'"
    else:
        recent = (
            0
            if customer.new
            else queries.count_recent_cases(
                session,
                customer_id=customer.id,
                since=now - timedelta(days=config.priority.repeat_window_days),
            )
        )
        scored = priority.score(
            text=post.text,
            followers=post.author.followers,
            tier=customer.tier,
            recent_cases=recent,
            rules=config.priority,
        )
        level, reason = scored.priority, scored.reason
    case = Case(
        department=decision.department,
        priority=level,
        priority_reason=reason,
        tags=decision.tags,
        customer_id=customer.id,
        source=post.source,
        conversation_key=_conversation_key(post),
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    return case, decision.rule


def store(db: Database, post: IncomingPost, *, now: datetime, config: CasebotConfig) -> Received:
    """`receive` in its own unit of work, retried once when a concurrent copy of the same
    post won the race to the unique constraint (the retry answers `duplicate`)."""
    for attempt in (1, 2):
        try:
            with db.session() as session:
                return receive(session, post, now=now, config=config)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")
