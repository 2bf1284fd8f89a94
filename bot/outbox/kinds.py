"""Every kind of outbox row and the payload it carries: the one registry.

A payload is a frozen dataclass stored as JSON in `Outbox.payload`; its field names
are the JSON keys, so rows queued by an earlier release read back unchanged (keys a
payload does not know are ignored). Enqueue with `enqueue(session, payload, …)`; a
deliverer reads its row with `read(row)`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Self, TypeVar

from sqlmodel import Session

from storage import outbox
from storage.outbox import Claimed


@dataclass(frozen=True)
class Payload:
    kind: ClassVar[str]
    ordered: ClassVar[bool] = True
    """Whether the row waits for older rows of its case (False: customer replies, whose
    outage must not freeze the Slack card)."""

    def to_json(self) -> dict[str, Any]:
        """Fields left at None (their default) are left out, as rows always had them."""
        return {
            f.name: _plain(value)
            for f in dataclasses.fields(self)
            if (value := getattr(self, f.name)) is not None or f.default is not None
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class CardRefresh(Payload):
    """Re-render the case's card from current state (coalesced: one covers any number of
    changes)."""

    kind = "card"
    new_in: str | None = None
    """The department whose channel the card is to be posted in, when it was queued for
    a case that opened or moved there: a burst's new cards wait for their channel's
    turns, and the deliverer asks the pacer before it reads anything (a hint: at the
    card's turn it reads where the case is now)."""


@dataclass(frozen=True)
class TimelineLine(Payload):
    """A line in the thread of the card the case had in stint `stint`."""

    kind = "timeline"
    event: str
    actor: str
    data: dict[str, Any] = field(default_factory=dict)
    stint: int | None = None


@dataclass(frozen=True)
class CardMoved(Payload):
    """The card left behind by an escalation becomes a pointer to the next one."""

    kind = "card_moved"
    actor: str
    data: dict[str, Any]
    to_stint: int | None = None


@dataclass(frozen=True)
class DraftDecided(Payload):
    """A draft reply's message loses its buttons and says who decided."""

    kind = "draft_decided"
    reply_id: int
    event: str
    actor: str


@dataclass(frozen=True)
class Notice(Payload):
    """A DM to `user` about one case event."""

    kind = "dm"
    user: str
    event: str
    actor: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReminderItem:
    """One due SLA step of one case in a person's reminder DM, as the sweep saw it."""

    case_id: int
    ref: str
    clock_id: int
    threshold: str
    breach: bool
    text: str
    priority: str
    owner: str | None
    as_owner: bool


@dataclass(frozen=True)
class ProblemReminderItem:
    """All of a claimed problem's due cases in its owner's DM: one line, not one per case."""

    problem_id: int
    ref: str
    owner: str
    breach: bool
    text: str
    cases: tuple[ReminderItem, ...]


def _reminder_item(item: dict[str, Any]) -> ReminderItem:
    known = {f.name for f in dataclasses.fields(ReminderItem)}
    return ReminderItem(**{k: v for k, v in item.items() if k in known})


@dataclass(frozen=True)
class Reminders(Payload):
    """All of one person's reminders from one sweep, in one DM."""

    kind = "reminders"
    user: str
    items: tuple[ReminderItem | ProblemReminderItem, ...]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        items: list[ReminderItem | ProblemReminderItem] = []
        for item in data.get("items", []):
            if "problem_id" not in item:
                items.append(_reminder_item(item))
                continue
            cases = tuple(_reminder_item(c) for c in item.get("cases", []))
            items.append(
                ProblemReminderItem(
                    problem_id=int(item["problem_id"]),
                    ref=str(item["ref"]),
                    owner=str(item["owner"]),
                    breach=bool(item["breach"]),
                    text=str(item["text"]),
                    cases=cases,
                )
            )
        return cls(user=str(data["user"]), items=tuple(items))


@dataclass(frozen=True)
class Message(Payload):
    """A standalone message from a template, to `channel` or (without one) to `user`."""

    kind = "message"
    template: str
    data: dict[str, Any]
    channel: str | None = None
    user: str | None = None


@dataclass(frozen=True)
class DigestMessage(Payload):
    """A scheduled digest; `posted_ts` and `file_id` keep what an attempt achieved."""

    kind = "digest"
    name: str
    channel: str
    slot: str
    timezone: str
    late: bool
    summaries: list[dict[str, Any]]
    series: dict[str, Any]
    posted_ts: str | None = None
    file_id: str | None = None


@dataclass(frozen=True)
class CustomerReply(Payload):
    """An agent's reply, through the source's reply connector."""

    kind = "reply"
    ordered = False
    reply_id: int


@dataclass(frozen=True)
class Acknowledgement(Payload):
    """The automatic acknowledgement of a new case; `link` keeps its status link token
    across attempts."""

    kind = "acknowledgement"
    ordered = False
    link: str | None = None


@dataclass(frozen=True)
class ProblemCard(Payload):
    """Re-render a problem's card from current state (coalesced, paced per problem)."""

    kind = "problem_card"
    problem_id: int


KINDS: dict[str, type[Payload]] = {
    k.kind: k
    for k in (
        CardRefresh,
        TimelineLine,
        CardMoved,
        DraftDecided,
        Notice,
        Reminders,
        Message,
        DigestMessage,
        CustomerReply,
        Acknowledgement,
        ProblemCard,
    )
}
UNORDERED = tuple(name for name, k in KINDS.items() if not k.ordered)

P = TypeVar("P", bound=Payload)


def enqueue(
    session: Session,
    payload: Payload,
    *,
    key: str,
    now: datetime,
    case_id: int | None = None,
    not_before: datetime | None = None,
) -> None:
    """`not_before`: due no earlier than this (pacing a message edited in place)."""
    outbox.enqueue(
        session,
        kind=payload.kind,
        key=key,
        now=now,
        case_id=case_id,
        payload=payload.to_json(),
        not_before=not_before,
    )


def read(row: Claimed, kind: type[P]) -> P:
    """The row's payload as `kind` (which must be the row's own)."""
    if KINDS.get(row.kind) is not kind:
        raise ValueError(f"outbox row {row.id} is a {row.kind!r}, not a {kind.kind!r}")
    return kind.from_json(row.payload)


def replace(session: Session, *, key: str, payload: Payload) -> None:
    """Keep what an attempt achieved, for the next attempt of the same row."""
    outbox.set_payload(session, key=key, payload=payload.to_json())
