"""The customer's status page: an unguessable link per case, and what the page may show.

A link is a random token (`secrets`, 192 bits) of which only the SHA-256 is stored: the
token is as strong as a key, so a fast unsalted hash is enough, and the database alone
opens no page. Finding a case is always the same work whatever the token looks like:
hash it, one lookup on the unique index, a constant-time comparison. A malformed token
is not turned away earlier, so no answer comes back faster for any kind of guess.

The page is for whoever holds the link, so it shows only what the customer already
knows or is owed: the case id, its stage in plain words, the promised time, and the
replies that reached them (masked, as anyone may be reading over their shoulder). Never
notes, owners, departments, the customer's own post or any other case.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session

from bot import pii
from bot.cases import get_case
from bot.ids import format_case_id
from bot.sla import policy_for, tracking
from bot.sla.promise import dated
from bot.state import CaseStatus
from config.schema import CasebotConfig, PiiKind
from storage import status as store
from storage.queries import MERGE_HOPS

TOKEN_BYTES = 24
"""192 bits: at least 128 is the bar; 32 URL-safe characters stay short enough for a post."""
PATH = "/status/"
_NO_MATCH = hashlib.sha256(b"no such link").hexdigest()
"""Compared against when the lookup found nothing, so both outcomes do the same work."""


class Stage(StrEnum):
    """Where the case is, as the customer reads it."""

    RECEIVED = "received"
    HANDLING = "being handled"
    WAITING = "waiting for you"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class PublicReply:
    at: datetime
    when: str
    """In the page's zone, zone named: "23 November 2026, 09:12 CET"."""
    text: str


@dataclass(frozen=True)
class StatusPage:
    ref: str
    stage: Stage
    opened: str
    promise: str | None
    """When a person will answer ("Monday 09:00 CET"); None when no answer is owed."""
    late: bool
    """The promised time passed without an answer."""
    replies: tuple[PublicReply, ...]


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def mint_link(session: Session, *, case_id: int, now: datetime) -> str:
    """A new link to the case's page; the token is returned once and never stored."""
    token = new_token()
    store.add_link(session, case_id=case_id, token_hash=token_hash(token), now=now)
    return token


def link_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}{PATH}{token}"


def agent_link(
    session: Session, *, case_id: int, public_url: str | None, now: datetime
) -> str | None:
    """A link an agent may paste to the customer (`/case show`): a new one each time, as a
    stored hash cannot be shown again; None without PUBLIC_URL."""
    if not public_url:
        return None
    return link_url(public_url, mint_link(session, case_id=case_id, now=now))


def case_for_token(session: Session, token: str) -> int | None:
    """The case a token opens, or None (unknown, malformed, anything)."""
    digest = token_hash(token)
    found = store.link_by_hash(session, token_hash=digest)
    stored = found[1] if found else _NO_MATCH
    if hmac.compare_digest(stored, digest) and found is not None:
        return found[0]
    return None


def _stage(status: str, owner_id: str | None, replied: bool) -> Stage:
    if status == CaseStatus.RESOLVED:
        return Stage.RESOLVED
    if status == CaseStatus.WAITING:
        return Stage.WAITING
    return Stage.HANDLING if owner_id or replied else Stage.RECEIVED


def page(session: Session, case_id: int, config: CasebotConfig, now: datetime) -> StatusPage:
    """The page of one case at `now`, in the time zone of its first-response calendar
    (the zone its promise is made in)."""
    case = get_case(session, case_id)
    for _ in range(MERGE_HOPS):
        # A merged case's link shows the case it lives on in.
        if case.merged_into is None:
            break
        case = get_case(session, case.merged_into)
    case_id = case.id or case_id
    zone = policy_for(config.sla, case.priority, case.department, case.source).calendar.zone
    region = pii.region_for(config, case)
    replies = tuple(
        PublicReply(
            at=reply.sent_at,
            when=dated(reply.sent_at, zone),
            text=pii.mask(reply.text, list(PiiKind), region),
        )
        for reply in store.sent_replies(session, case_id=case_id)
        if reply.sent_at is not None
    )
    promise = tracking.response_promise(session, case, config, now)
    return StatusPage(
        ref=format_case_id(case_id),
        stage=_stage(case.status, case.owner_id, bool(replies)),
        opened=dated(case.created_at, zone),
        promise=promise.wording(now) if promise else None,
        late=bool(promise and promise.late),
        replies=replies,
    )
