"""The acknowledgement: one automatic answer to a new case's customer, saying when a person
will answer and where to follow the case.

Decided when the case opens, in the intake's transaction. A post from a no-reply or
mailer-daemon address on any source, a reply to one of our own messages, or mail from
our own address gets none, and the card says why: answering machines is how mail loops
start. Mail the e-mail parser marks `automated` (bounces, auto-replies, bulk mail)
opens no case at all (`bot.automated`). Otherwise one outbox row keyed by the case, so
no case is acknowledged twice. Follow-ups and duplicates never open a case, so they never get here.

The words are made when it is delivered. The promise is the response clock's due time
at that moment, the instant the card shows too; the status link is minted at the first
attempt and kept in the outbox row only until the message is out. One that comes too
late (a person answered first, the case closed or waits on the customer, the promised
time passed) is skipped rather than tell the customer something untrue. Sending it
answers nobody: the first-response clock runs until a person replies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from string import Formatter

from sqlmodel import Session

from bot import effects, status
from bot.cases import get_case
from bot.events import (
    SYSTEM,
    AcknowledgementFailed,
    AcknowledgementSkipped,
    CustomerAcknowledged,
    DomainEvent,
)
from bot.ids import Surface, format_case_id
from bot.outbox import kinds
from bot.posts import IncomingPost
from bot.replies import OutgoingReply
from bot.sla import tracking
from bot.sla.promise import Promise
from bot.state import CaseStatus
from config.connectors import EmailConnector, SourceConfig
from config.schema import CasebotConfig
from storage import acknowledgements as store
from storage import queries
from storage.models import Acknowledgement, Case, Customer

ACK = kinds.Acknowledgement.kind
BUILT_IN = (
    "Hi {name}, thanks for your message. It is case {case} with us, and a person will"
    " answer by {promise}.\nFollow it here: {status_url}"
)
NAME_CHARS = 40
_MACHINE = re.compile(
    r"^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer[-_.]?daemon|postmaster)(?:[-+_.].*)?$",
    re.IGNORECASE,
)
_NOT_IN_NAME = re.compile(r"[^\w\s'-]|[\d_]")
"""A name is customer text in our voice, in public on X or Mastodon: no `@mention`,
`#tag`, link or markup survives in it, only letters, spaces, `'` and `-`."""


def machine_address(value: str) -> bool:
    """`noreply@…`, `no-reply`, `donotreply+x@…`, `MAILER-DAEMON@…`, `@noreply` handles."""
    local = value.strip().lstrip("@").split("@", 1)[0]
    return bool(_MACHINE.match(local))


def reason_to_skip(session: Session, post: IncomingPost, source: SourceConfig) -> str | None:
    """Why this new case's customer gets no acknowledgement, or None when they get one."""
    author = post.author
    if any(machine_address(v) for v in (author.email or "", author.handle, author.id) if v):
        return "no-reply sender"
    reply = source.reply
    if (
        isinstance(reply, EmailConnector)
        and author.email
        and author.email.lower() == reply.from_address.lower()
    ):
        return "sent from our own address"
    if post.in_reply_to and store.sent_by_us(
        session, source=post.source, external_id=post.in_reply_to
    ):
        return "a reply to our own message"
    return None


def on_open(
    session: Session, case: Case, post: IncomingPost, config: CasebotConfig, now: datetime
) -> None:
    """Queue the acknowledgement of a case that just opened, or record why there is none."""
    source = config.sources.get(case.source)
    if source is None or source.acknowledge is None:
        return
    case_id = case.id or 0
    reason = reason_to_skip(session, post, source)
    store.add(
        session, case_id=case_id, state="skipped" if reason else "queued", reason=reason, now=now
    )
    if reason is None:
        kinds.enqueue(
            session, kinds.Acknowledgement(), key=f"{ACK}:{case_id}", case_id=case_id, now=now
        )


def customer_name(raw: str) -> str:
    cleaned = " ".join(_NOT_IN_NAME.sub(" ", raw).split())[:NAME_CHARS].strip(" '-")
    return cleaned or "there"


def _uses_link(line: str) -> bool:
    return any(field == "status_url" for _, field, _, _ in Formatter().parse(line))


def render(
    template: str | None, *, name: str, case: str, promise: str, status_url: str | None
) -> str:
    """The text; without a status URL (no PUBLIC_URL) the lines that use it are left out."""
    text = template or BUILT_IN
    if status_url is None:
        text = "\n".join(line for line in text.splitlines() if not _uses_link(line))
    return text.format(
        name=customer_name(name), case=case, promise=promise, status_url=status_url or ""
    ).strip()


@dataclass(frozen=True)
class AckFacts:
    """The acknowledgement as its reply connector sends it, and the time it promises."""

    reply: OutgoingReply
    promised_at: datetime


def _too_late(case: Case, promise: Promise | None) -> str | None:
    if case.status == CaseStatus.RESOLVED:
        return "the case was resolved before it went out"
    if case.status == CaseStatus.MERGED:
        return "the case was merged into another before it went out"
    if case.first_response_at is not None:
        return "a person answered first"
    if promise is None:
        return "the case waits on the customer"
    if promise.late:
        return "its promised time had passed before it could go out"
    return None


def _link(session: Session, case_id: int, key: str, kept: str | None, now: datetime) -> str:
    """The token of the acknowledgement's link: minted on the first attempt and kept in
    its outbox row until it is sent (then wiped), so a retry sends the very same message
    (a remote that deduplicates by key or Message-ID sees one message, not two)."""
    if kept:
        return kept
    token = status.mint_link(session, case_id=case_id, now=now)
    kinds.replace(session, key=key, payload=kinds.Acknowledgement(link=token))
    return token


def prepare(
    session: Session,
    case_id: int,
    *,
    key: str,
    kept_link: str | None,
    config: CasebotConfig,
    public_url: str | None,
    now: datetime,
) -> AckFacts | None:
    """The acknowledgement as it would go out now, through the outbox row `key` (whose
    payload kept `kept_link` from an earlier attempt); None when it is not to be sent
    (done already, or skipped now, which is recorded)."""
    row = store.get(session, case_id=case_id)
    if row is None or row.state != "queued":
        kinds.replace(session, key=key, payload=kinds.Acknowledgement())
        return None
    case = get_case(session, case_id)
    promise = tracking.response_promise(session, case, config, now)
    reason = _too_late(case, promise)
    if reason is not None or promise is None:
        _record(session, row, state="skipped", reason=reason, now=now)
        kinds.replace(session, key=key, payload=kinds.Acknowledgement())
        effects.publish(
            session,
            [
                AcknowledgementSkipped(
                    case_id=case_id,
                    actor=SYSTEM,
                    surface=Surface.WORKER,
                    at=now,
                    reason=reason or "",
                )
            ],
        )
        return None
    source = config.sources[case.source]
    post = queries.first_post(session, case_id=case_id)
    customer = session.get(Customer, case.customer_id)
    url = None
    if public_url:
        url = status.link_url(public_url, _link(session, case_id, key, kept_link, now))
    name = (customer.name if customer else "") or (post.author_name if post else "")
    template = source.acknowledge.template if source.acknowledge else None
    reply = OutgoingReply(
        key=key,
        case_ref=format_case_id(case_id),
        source=case.source,
        text=render(
            template,
            name=name,
            case=format_case_id(case_id),
            promise=promise.wording(now),
            status_url=url,
        ),
        in_reply_to=post.external_id if post else None,
        conversation_id=post.conversation_id if post else None,
        customer_handle=post.author_handle if post else "",
        customer_email=customer.email if customer else None,
        subject=(post.extra or {}).get("subject") if post else None,
        private=True,
        automatic=True,
    )
    return AckFacts(reply=reply, promised_at=promise.at)


def _record(
    session: Session,
    row: Acknowledgement,
    *,
    state: str,
    now: datetime,
    reason: str | None = None,
) -> None:
    row.state, row.reason = state, reason
    if state == "sent":
        row.sent_at = now
    session.add(row)


def sent(
    session: Session,
    case_id: int,
    *,
    key: str,
    external_id: str | None,
    promised_at: datetime,
    now: datetime,
) -> list[DomainEvent]:
    """Recorded as sent; deliberately not an answer (no `first_response_at`, no clock stop)."""
    kinds.replace(session, key=key, payload=kinds.Acknowledgement())
    row = store.get(session, case_id=case_id)
    if row is None:
        return []
    row.external_id, row.promised_at = external_id, promised_at
    _record(session, row, state="sent", now=now)
    event = CustomerAcknowledged(
        case_id=case_id,
        actor=SYSTEM,
        surface=Surface.WORKER,
        at=now,
        promised_at=promised_at.isoformat(),
    )
    effects.publish(session, [event])
    return [event]


def failed(
    session: Session, case_id: int, *, key: str, error: str, now: datetime
) -> list[DomainEvent]:
    kinds.replace(session, key=key, payload=kinds.Acknowledgement())
    row = store.get(session, case_id=case_id)
    if row is None:
        return []
    _record(session, row, state="failed", reason=error, now=now)
    event = AcknowledgementFailed(
        case_id=case_id, actor=SYSTEM, surface=Surface.WORKER, at=now, error=error
    )
    effects.publish(session, [event])
    return [event]
