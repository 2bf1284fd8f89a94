"""Turns domain events into their durable effects, inside the caller's transaction.

Every event becomes one audit row; events that change what a card shows queue one
card refresh (coalesced: the card is re-rendered whole from current state at delivery,
so one pending refresh covers any number of changes); timeline events queue one line
for the card's thread.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlmodel import Session

from bot.events import DomainEvent
from storage import outbox
from storage.models import Event

CARD = "card"
TIMELINE = "timeline"
DM = "dm"


def publish(session: Session, events: Iterable[DomainEvent]) -> None:
    for event in events:
        data = event.data()
        session.add(
            Event(
                case_id=event.case_id,
                kind=event.kind,
                actor=event.actor,
                surface=event.surface.value,
                at=event.at,
                data=data,
            )
        )
        if event.changes_card and not outbox.has_pending(session, kind=CARD, case_id=event.case_id):
            outbox.enqueue(
                session, kind=CARD, key=f"card:{uuid.uuid4()}", case_id=event.case_id, now=event.at
            )
        if event.in_timeline:
            outbox.enqueue(
                session,
                kind=TIMELINE,
                key=f"timeline:{uuid.uuid4()}",
                case_id=event.case_id,
                now=event.at,
                payload={"event": event.kind, "actor": event.actor, "data": data},
            )
