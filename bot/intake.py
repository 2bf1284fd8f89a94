"""A customer post arrives: store it once, find or open its case, queue the card."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot import acknowledge, answered, automated, effects, merges, priority, routing
from bot.events import (
    SYSTEM,
    CaseOpened,
    CaseReopened,
    CustomerReturned,
    DomainEvent,
    PostAdded,
)
from bot.fresh import Fresh
from bot.ids import Surface
from bot.posts import IncomingPost
from bot.state import CaseStatus
from config.schema import CasebotConfig
from storage import detection_queue, queries, rows
from storage.db import Database
from storage.models import Case, Customer, CustomerIdentity, Post


@dataclass(frozen=True)
class Received:
    case_id: int | None
    """None: automated mail that concerns no case of ours (`bot.automated`)."""
    post_id: int
    duplicate: bool


@dataclass(frozen=True)
class _Who:
    """The post's customer as intake needs them."""

    id: int
    tier: str
    new: bool
    """Made by this post: they can have no case yet, so none is looked up."""


NEW_TIER = "standard"
"""A new customer's tier (the column's default) when neither config nor post names one."""


def _customer(
    session: Session, post: IncomingPost, now: datetime, config: CasebotConfig, fresh: Fresh
) -> _Who:
    """One person across channels: a known handle, else a known e-mail, else someone new.

    A `customers:` entry that names the post's address or handle links everyone it
    names: the oldest customer known by any of them is the one, and this handle is moved
    to them if it belonged to someone else. Its tier wins over the post's `author.tier`.
    A new customer and a new handle are plain INSERTs (a burst is mostly new people);
    the handle is written at once, so a second post of theirs in the same batch finds it.
    """
    author = post.author
    known = config.known_customer(author.email, author.handle)
    identity = (
        None
        if fresh.take_author(post)
        else queries.find_identity(session, source=post.source, external_id=author.id)
    )
    customer = session.get(Customer, identity.customer_id) if identity else None
    if known is not None:
        linked = queries.customers_known_as(session, emails=known.emails, handles=known.handles)
        customer = linked[0] if linked else customer
    if customer is None and author.email:
        customer = queries.find_customer_by_email(session, email=author.email)
    tier = (known.tier if known else None) or author.tier
    if customer is None:
        who = _Who(
            rows.insert_id(
                session,
                Customer,
                name=(known.name if known else None) or author.name or author.handle,
                email=author.email,
                tier=tier or NEW_TIER,
                created_at=now,
            ),
            tier or NEW_TIER,
            new=True,
        )
    else:
        if tier and customer.tier != tier:
            customer.tier = tier
        who = _Who(customer.id or 0, customer.tier, new=False)
    if identity is None:
        rows.insert_id(
            session,
            CustomerIdentity,
            customer_id=who.id,
            source=post.source,
            external_id=author.id,
            handle=author.handle,
            followers=author.followers,
        )
    elif identity.customer_id != who.id:
        identity.customer_id = who.id
    return who


def _conversation_key(post: IncomingPost) -> str | None:
    return f"{post.source}:{post.conversation_id}" if post.conversation_id else None


def receive(
    session: Session,
    post: IncomingPost,
    *,
    now: datetime,
    config: CasebotConfig,
    fresh: Fresh | None = None,
) -> Received:
    """Store the post and attach it to a case. Idempotent on `(source, external_id)`.

    A concurrent duplicate trips the unique constraint at its INSERT; the caller's unit
    of work is retried once and then takes the duplicate branch. `fresh`: what the batch's
    look-up found new (`bot.fresh`). A case this post opens is
    queued for problem detection, which the worker runs (`bot.problems.queue`).
    """
    fresh = fresh or Fresh()
    if not fresh.take_post(post):
        existing = queries.find_post(session, source=post.source, external_id=post.external_id)
        if existing:
            return Received(existing.case_id, existing.id or 0, duplicate=True)

    customer = _customer(session, post, now, config, fresh)
    if post.automated is not None:
        post_id = _insert_post(session, post, None, customer.id, now)
        concerned = automated.record(session, post, post_id, now)
        return Received(concerned, post_id, duplicate=False)

    thread = {
        "source": post.source,
        "customer_id": customer.id,
        "conversation_key": _conversation_key(post),
        "in_reply_to": post.in_reply_to,
    }
    case = None if customer.new else queries.open_case_for_thread(session, **thread)
    events: list[DomainEvent] = []
    if (
        case is None
        and not customer.new
        and (case := queries.open_case_for_thread(session, **thread, resolved_in_problem=True))
    ):
        # Resolved with its problem, written to again: this case reopens, alone.
        case.status, case.resolved_at = CaseStatus.OPEN.value, None
        case.answered = answered.on_reopen(case.answered)
        events.append(
            CaseReopened(case_id=case.id or 0, actor=SYSTEM, surface=Surface.INGEST, at=now)
        )
    opened = case is None
    if case is not None:
        post_id = _insert_post(session, post, case.id, customer.id, now)
        case.updated_at = now
        if case.status == CaseStatus.WAITING:
            case.status = CaseStatus.OPEN.value
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
        post_id = _insert_post(session, post, case.id, customer.id, now)
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
    if opened:
        if not customer.new:
            merges.on_open(session, case, now=now, config=config)
        if config.problems.enabled:
            detection_queue.add(session, case_id=case.id or 0, post_id=post_id, at=now)
    return Received(case.id or 0, post_id, duplicate=False)


def receive_all(
    session: Session,
    posts: list[tuple[IncomingPost, datetime]],
    *,
    config: CasebotConfig,
    fresh: Fresh | None = None,
) -> list[Received]:
    """Each post as `receive`, in order, in one transaction."""
    return [receive(session, post, now=now, config=config, fresh=fresh) for post, now in posts]


def _insert_post(
    session: Session, post: IncomingPost, case_id: int | None, customer_id: int, now: datetime
) -> int:
    """The post's row, written once its case is known (no later UPDATE of `case_id`), as
    a plain INSERT: nothing reads it back as an object. Written at once, not batched: the
    next post of the batch may be its duplicate or a reply to it."""
    return rows.insert_id(
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
    customer: _Who,
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
    return rows.insert_object(session, case), decision.rule


def store(
    db: Database,
    post: IncomingPost,
    *,
    now: datetime,
    config: CasebotConfig,
    also: Callable[[Session], None] | None = None,
) -> Received:
    """`receive` in its own unit of work, retried once when a concurrent copy of the same
    post won the race to the unique constraint (the retry answers `duplicate`). `also`
    runs in the same transaction (a poller moving its cursor past the post)."""
    for attempt in (1, 2):
        try:
            with db.session() as session:
                rows.batch(session)
                received = receive(session, post, now=now, config=config)
                if also is not None:
                    also(session)
                return received
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def store_all(
    db: Database, posts: list[IncomingPost], *, now: datetime, config: CasebotConfig
) -> list[Received]:
    """Several posts of one body in one unit of work: all stored, or none (retried once
    on a concurrent duplicate, as `store`)."""
    for attempt in (1, 2):
        try:
            with db.session() as session:
                rows.batch(session)
                return receive_all(session, [(post, now) for post in posts], config=config)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")
