"""Turns domain events into their durable effects, inside the caller's transaction.

Every event becomes one audit row; events that change what a card shows queue one
card refresh (coalesced: the card is re-rendered whole from current state at delivery,
so one pending refresh covers any number of changes); timeline events queue one line
for the thread of the card the case has now (its stint, see `CaseCard`), wherever the
case is when the line is delivered. Opening a case and moving it to another department
each give it a new card; the card left behind is turned into a pointer once the new
one is posted, so the pointer can link it. A decision on a draft reply edits the
draft's message.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot import metrics
from bot.events import CaseEscalated, CaseOpened, DomainEvent, ReplyApproved, ReplyDiscarded
from bot.outbox import kinds
from bot.problems import refresh as problem_card
from bot.sla import tracking
from storage import cards, outbox, rows
from storage.models import Case, Event

CARD = kinds.CardRefresh.kind
CARD_PENDING = "casebot.card_pending"


def _card_pending(session: Session, case_id: int) -> bool:
    """Whether a card refresh already waits for the case; answers are remembered for the
    session (a batch, like the sweep, may fill this in advance with `prefetch_cards`)."""
    known: dict[int, bool] = session.info.setdefault(CARD_PENDING, {})
    if case_id not in known:
        known[case_id] = bool(outbox.cases_with_pending(session, kind=CARD, case_ids=[case_id]))
    return known[case_id]


def prefetch_cards(session: Session, case_ids: list[int]) -> None:
    pending = outbox.cases_with_pending(session, kind=CARD, case_ids=case_ids)
    known: dict[int, bool] = session.info.setdefault(CARD_PENDING, {})
    known.update({cid: cid in pending for cid in case_ids})


def refresh_card(
    session: Session, case_id: int, at: datetime, *, new_in: str | None = None
) -> None:
    """Queue a re-render of the case's card, unless one already waits: it will render
    whatever the state is when it is delivered, so one covers any number of changes.
    `new_in`: the department it is to be posted in (see `CardRefresh.new_in`)."""
    if not _card_pending(session, case_id):
        payload = kinds.CardRefresh(new_in=new_in)
        kinds.enqueue(session, payload, key=_key(CARD), case_id=case_id, now=at)
        session.info.setdefault(CARD_PENDING, {})[case_id] = True


def _key(kind: str) -> str:
    return f"{kind}:{uuid.uuid4()}"


def _enqueue(session: Session, payload: kinds.Payload, event: DomainEvent) -> None:
    kinds.enqueue(session, payload, key=_key(payload.kind), case_id=event.case_id, now=event.at)


def publish(session: Session, events: Iterable[DomainEvent], *, notify: Iterable[str] = ()) -> None:
    """Record `events`; `notify` are people to DM about them (one DM each, all events)."""
    events = list(events)
    for event in events:
        case = session.get(Case, event.case_id)
        stint = case.escalations if case else 0
        new_in: str | None = None  # the department of a card this event adds
        if isinstance(event, CaseOpened):
            session.info.setdefault(CARD_PENDING, {})[event.case_id] = False
            new_in = event.department
        metrics.count_event(session, event, case.department if case else "")
        if isinstance(event, CaseEscalated) and event.to_department != event.from_department:
            new_in = event.to_department
        if new_in is not None:
            cards.add(session, case_id=event.case_id, stint=stint, department=new_in)
        data = event.data()
        rows.add(
            session,
            Event,
            case_id=event.case_id,
            kind=event.kind,
            actor=event.actor,
            surface=event.surface.value,
            at=event.at,
            data=data,
        )
        if event.refreshes_card():
            refresh_card(session, event.case_id, event.at, new_in=new_in)
            if case is not None and case.problem_id is not None:
                problem_card.refresh_for_case(session, case.problem_id, event.at)
        if isinstance(event, CaseEscalated) and event.from_ts:
            moved_card = kinds.CardMoved(actor=event.actor, data=data, to_stint=stint)
            _enqueue(session, moved_card, event)
        tracking.apply(session, event)
        if event.in_thread():
            line = kinds.TimelineLine(event=event.kind, actor=event.actor, data=data, stint=stint)
            _enqueue(session, line, event)
        if isinstance(event, ReplyApproved | ReplyDiscarded):
            decided = kinds.DraftDecided(
                reply_id=event.reply_id, event=event.kind, actor=event.actor
            )
            _enqueue(session, decided, event)
        for user in notify:
            notice = kinds.Notice(user=user, event=event.kind, actor=event.actor, data=data)
            _enqueue(session, notice, event)


def audit(
    session: Session, *, kind: str, actor: str, surface: str, at: datetime, data: dict[str, Any]
) -> None:
    """An audit row for a change that is not about one case (an on-call override)."""
    session.add(Event(case_id=None, kind=kind, actor=actor, surface=surface, at=at, data=data))
