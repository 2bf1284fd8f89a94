"""What a case card shows, gathered from the database as plain data.

Rendering (`bot.slack.blocks`) turns this into Block Kit; keeping the two apart lets
the renderer stay pure and the rules about what is shown (masking) live here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from bot import merges, pii
from bot.cases import get_case
from bot.ids import format_case_id
from bot.merges import Suggestion
from bot.problems.ids import format_problem_id
from bot.sla import ClockReading, ClockState, tracking
from bot.state import CaseStatus
from config.schema import CasebotConfig
from storage import acknowledgements, queries
from storage.models import Case, CaseCard, Customer


@dataclass(frozen=True)
class AckView:
    """Whether the customer was acknowledged: `queued`, `sent` (with what it promised),
    `skipped` (with why) or `failed`."""

    state: str
    reason: str | None
    promised_at: datetime | None


@dataclass(frozen=True)
class CardView:
    case_id: int
    ref: str
    department: str
    department_name: str
    channel: str
    source: str
    url: str | None
    customer_name: str
    customer_handle: str
    text: str
    priority: str
    priority_reason: str
    status: CaseStatus
    owner_id: str | None
    root_cause: str | None
    answered: str | None
    """How the customer got their first response (`bot.answered`); None: not yet."""
    escalations: int
    tags: list[str]
    posts: int
    earlier_cases: list[str]
    opened_at: datetime
    sla: list[ClockReading]
    """As data, so the renderer can show due instants in each reader's own zone."""
    breached: bool
    masked: bool
    """`text` hides personal data the post has (`bot.pii`): the card offers Reveal."""
    acknowledgement: AckView | None = None
    """None when the case's source does not acknowledge."""
    problem: str | None = None
    """The problem (P-7) the case is one report of."""
    contacts: int = 1
    """Cases the customer opened in the repeat window up to this one, this one included."""
    contact_window_days: int = 7
    also_open: list[tuple[str, str]] = field(default_factory=list)
    """The customer's other open cases, as (ref, source): one person across channels."""
    attachments: list[Attachment] = field(default_factory=list)
    fields: list[tuple[str, str]] = field(default_factory=list)
    """A web form's other fields (`order`, …) as (label, value), masked like the text."""
    suggestion: Suggestion | None = None
    """Another case this one may be the same as (`bot.merges`): Merge or Not the same."""
    merged_into: str | None = None
    """The case (C-12) this one was merged into: the card is a pointer there."""
    merged_into_id: int | None = None


@dataclass(frozen=True)
class Attachment:
    """A file the customer sent, as the card lists it (its bytes never reach Slack)."""

    name: str
    content_type: str
    size: int


def attachments_of(extra: dict[str, Any]) -> list[Attachment]:
    found = extra.get("attachments")
    if not isinstance(found, list):
        return []
    return [
        Attachment(
            name=str(a.get("filename") or "(no name)"),
            content_type=str(a.get("content_type") or "application/octet-stream"),
            size=a["size"] if isinstance(a.get("size"), int) else 0,
        )
        for a in found
        if isinstance(a, dict)
    ]


def form_fields(extra: dict[str, Any], config: CasebotConfig, case: Case) -> list[tuple[str, str]]:
    found = extra.get("fields")
    if not isinstance(found, list):
        return []
    return [
        (pii.for_case(str(pair[0]), config, case), pii.for_case(str(pair[1]), config, case))
        for pair in found
        if isinstance(pair, list | tuple) and len(pair) == 2
    ]


def card_view(session: Session, case_id: int, config: CasebotConfig, now: datetime) -> CardView:
    case = get_case(session, case_id)
    post = queries.first_post(session, case_id=case_id)
    customer = session.get(Customer, case.customer_id)
    department = config.departments[case.department]
    also = queries.other_open_cases(session, customer_id=case.customer_id, besides=case_id)
    earlier = [
        c
        for c in queries.earlier_cases(session, customer_id=case.customer_id, before_case=case_id)
        if c.status == "resolved"
    ]
    window = config.priority.repeat_window_days
    contacts = queries.contacts_until(
        session,
        customer_id=case.customer_id,
        since=case.created_at - timedelta(days=window),
        case_id=case_id,
    )
    extra = post.extra if post else {}
    readings = tracking.card_readings(session, case, config, now)
    ack = acknowledgements.get(session, case_id=case_id)
    raw = post.text if post else ""
    shown = pii.for_case(raw, config, case)
    return CardView(
        case_id=case_id,
        ref=format_case_id(case_id),
        department=case.department,
        department_name=department.name,
        channel=department.channel,
        source=case.source,
        url=post.url if post else None,
        customer_name=pii.customer_label(
            (customer.name if customer else "") or (post.author_name if post else ""), config, case
        ),
        customer_handle=pii.customer_label(post.author_handle if post else "", config, case),
        text=shown,
        priority=case.priority,
        priority_reason=case.priority_reason,
        status=CaseStatus(case.status),
        owner_id=case.owner_id,
        root_cause=case.root_cause,
        answered=case.answered,
        escalations=case.escalations,
        tags=list(case.tags),
        posts=queries.count_posts(session, case_id=case_id),
        earlier_cases=[format_case_id(c.id or 0) for c in earlier],
        opened_at=case.created_at,
        sla=readings,
        breached=any(r.state is ClockState.BREACHED for r in readings),
        masked=shown != raw,
        acknowledgement=AckView(ack.state, ack.reason, ack.promised_at) if ack else None,
        problem=format_problem_id(case.problem_id) if case.problem_id else None,
        contacts=contacts,
        contact_window_days=window,
        also_open=[(format_case_id(c.id or 0), c.source) for c in also],
        attachments=attachments_of(extra),
        fields=form_fields(extra, config, case),
        suggestion=merges.suggestion_of(session, case),
        merged_into=format_case_id(case.merged_into) if case.merged_into else None,
        merged_into_id=case.merged_into,
    )


def _own(cards: Sequence[CaseCard], stint: int | None) -> int:
    if stint is None:
        return len(cards) - 1
    return max((i for i, card in enumerate(cards) if card.stint <= stint), default=0)


def posted_since(cards: Sequence[CaseCard], stint: int | None) -> CaseCard | None:
    """The card of `stint` (None: the newest) if it was posted, else the next one posted
    after it (the case moved on before its card went out). `cards` are oldest first."""
    if not cards:
        return None
    return next((card for card in cards[_own(cards, stint) :] if card.ts), None)


def thread_card(cards: Sequence[CaseCard], stint: int | None) -> CaseCard | None:
    """The posted card whose thread gets a line of `stint`: as `posted_since`, so the
    department the case went to reads what happened on the way; else the last card
    posted before it (the later ones could not be posted)."""
    found = posted_since(cards, stint)
    if found is not None or not cards:
        return found
    return next((card for card in reversed(cards[: _own(cards, stint)]) if card.ts), None)
