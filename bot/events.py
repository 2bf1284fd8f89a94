"""Domain events the core returns, and the domain exceptions it raises.

Events are facts about a case. The same list becomes audit rows and outbox messages
(see `bot.effects`), so what Slack shows and what the audit log says cannot drift.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from bot.ids import Surface

SYSTEM = "casebot"


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    kind: ClassVar[str]
    changes_card: ClassVar[bool] = True
    in_timeline: ClassVar[bool] = True

    case_id: int
    actor: str
    surface: Surface
    at: datetime

    def in_thread(self) -> bool:
        """Whether the change gets a line in the card's thread."""
        return self.in_timeline

    def refreshes_card(self) -> bool:
        """Whether the card must be re-rendered."""
        return self.changes_card

    def data(self) -> dict[str, Any]:
        out = asdict(self)
        for common in ("case_id", "actor", "surface", "at"):
            out.pop(common)
        return out


@dataclass(frozen=True, kw_only=True)
class CaseOpened(DomainEvent):
    kind = "opened"
    in_timeline = False
    department: str
    priority: str
    rule: str | None = None


@dataclass(frozen=True, kw_only=True)
class PostAdded(DomainEvent):
    """A customer's follow-up joined an open case."""

    kind = "post_added"
    post_id: int


@dataclass(frozen=True, kw_only=True)
class CaseClaimed(DomainEvent):
    kind = "claimed"
    owner: str


@dataclass(frozen=True, kw_only=True)
class CaseUnclaimed(DomainEvent):
    kind = "unclaimed"
    previous_owner: str


@dataclass(frozen=True, kw_only=True)
class CaseAssigned(DomainEvent):
    kind = "assigned"
    owner: str
    previous_owner: str | None


@dataclass(frozen=True, kw_only=True)
class CaseEscalated(DomainEvent):
    """The case moved to another department (or person) with its history and clocks.

    `from_card` is the (channel, ts) of the card that stays behind as a pointer.
    """

    kind = "escalated"
    from_department: str
    to_department: str
    to_user: str | None
    reason: str
    from_channel: str | None
    from_ts: str | None


@dataclass(frozen=True, kw_only=True)
class CaseResolved(DomainEvent):
    kind = "resolved"
    root_cause: str | None
    note: str
    answered: str | None = None
    """How the customer was answered, as the resolve left it (`bot.answered`)."""


@dataclass(frozen=True, kw_only=True)
class CaseReopened(DomainEvent):
    kind = "reopened"


@dataclass(frozen=True, kw_only=True)
class WaitingOnCustomer(DomainEvent):
    kind = "waiting"


@dataclass(frozen=True, kw_only=True)
class CustomerReturned(DomainEvent):
    """The customer wrote while the case waited on them: clocks resume."""

    kind = "resumed"
    in_timeline = False


@dataclass(frozen=True, kw_only=True)
class NoteAdded(DomainEvent):
    kind = "note"
    changes_card = False
    text: str


@dataclass(frozen=True, kw_only=True)
class ReplyRequested(DomainEvent):
    """An agent wrote a reply to the customer; it goes out now or after approval."""

    kind = "reply_requested"
    reply_id: int
    text: str
    needs_approval: bool


@dataclass(frozen=True, kw_only=True)
class ReplyApproved(DomainEvent):
    kind = "reply_approved"
    changes_card = False
    reply_id: int


@dataclass(frozen=True, kw_only=True)
class ReplyDiscarded(DomainEvent):
    kind = "reply_discarded"
    changes_card = False
    reply_id: int


@dataclass(frozen=True, kw_only=True)
class ReplySent(DomainEvent):
    kind = "reply_sent"
    reply_id: int
    text: str


@dataclass(frozen=True, kw_only=True)
class ReplyFailed(DomainEvent):
    kind = "reply_failed"
    changes_card = False
    reply_id: int
    error: str


@dataclass(frozen=True, kw_only=True)
class CustomerAcknowledged(DomainEvent):
    """The automatic acknowledgement reached the customer. It answers nobody: the
    first-response clock runs on until a person replies."""

    kind = "acknowledged"
    promised_at: str
    """The instant it promised an answer by, ISO 8601."""


@dataclass(frozen=True, kw_only=True)
class AcknowledgementSkipped(DomainEvent):
    """The acknowledgement was due to go out but no longer made sense (a person answered
    first, the case closed, the promised time passed)."""

    kind = "acknowledgement_skipped"
    reason: str


@dataclass(frozen=True, kw_only=True)
class AcknowledgementFailed(DomainEvent):
    kind = "acknowledgement_failed"
    error: str


@dataclass(frozen=True, kw_only=True)
class MessageBounced(DomainEvent):
    """Mail came back saying one of our messages to the customer never arrived (a
    bounce): the reply is marked undelivered, and the people on the case learn it."""

    kind = "bounced"
    what: str
    """`reply` or `acknowledgement`."""
    reply_id: int | None
    reason: str
    post_id: int


@dataclass(frozen=True, kw_only=True)
class AutomatedMailReceived(DomainEvent):
    """A machine answered one of our messages (an out-of-office, a delivery report): kept
    with the case for the record; it is no customer turn and changes no clock."""

    kind = "automated_mail"
    changes_card = False
    automated_kind: str
    reason: str
    post_id: int


@dataclass(frozen=True, kw_only=True)
class SlaWarning(DomainEvent):
    """A reminder step fired for one clock: a warning at a fraction, or the breach.

    Owned cases are handled by DMs alone; unowned ones also get a thread line, so the
    channel sees that nobody has picked it up. The reminder is news for people; the card
    is re-rendered by the sweep when the threshold is crossed, which a snooze or closed
    hours may have put well before the reminder.
    """

    kind = "sla_warning"
    changes_card = False
    clock: str
    threshold: str
    text: str
    notified: list[str]
    owned: bool

    def in_thread(self) -> bool:
        return not self.owned


@dataclass(frozen=True, kw_only=True)
class Snoozed(DomainEvent):
    kind = "snoozed"
    changes_card = False
    minutes: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class TextRevealed(DomainEvent):
    """Someone read the customer's text unmasked (Reveal): audited, told nobody else."""

    kind = "revealed"
    changes_card = False
    in_timeline = False
    post_id: int | None


@dataclass(frozen=True, kw_only=True)
class TakenOver(DomainEvent):
    kind = "taken_over"
    owner: str
    previous_owner: str | None


def event_classes() -> dict[str, type[DomainEvent]]:
    """Every event class by its stored `kind` (how audit rows and outbox rows name it)."""
    found: dict[str, type[DomainEvent]] = {}
    todo = list(DomainEvent.__subclasses__())
    while todo:
        cls = todo.pop()
        found[cls.kind] = cls
        todo += cls.__subclasses__()
    return found


def event_class(kind: str) -> type[DomainEvent]:
    """The class of a stored kind; `KeyError` for a kind this code does not know."""
    return event_classes()[kind]


class DomainError(Exception):
    """A refusal the user should read. It carries data (ids, people), never markup:
    `bot.slack.refusals` words it for Slack."""


@dataclass
class Refused(DomainError):
    """A request that names something that does not exist or does not fit; `message`
    is plain words, no markup."""

    message: str


@dataclass
class CaseNotFound(DomainError):
    case_id: int


@dataclass
class AlreadyClaimed(DomainError):
    """Someone else won the claim."""

    case_id: int
    owner: str


@dataclass
class ProblemOwned(DomainError):
    """Someone (`owner`, maybe the one asking) already owns the problem."""

    problem_id: int
    owner: str
    asked_by: str


@dataclass
class NotTheOwner(DomainError):
    """Only the owner gives a case back; `owner` holds it."""

    case_id: int
    owner: str


@dataclass
class AlreadyOwns(DomainError):
    """The case was to be given to the person who already owns it."""

    case_id: int
    owner: str


@dataclass
class AlreadyWith(DomainError):
    """The escalation names where the case already is: `department` is its key, and
    `department_name` what people call it."""

    case_id: int
    department: str
    department_name: str


@dataclass
class NotAllowed(DomainError):
    reason: str = field(default="You are not allowed to do that.")


@dataclass
class InvalidTransition(DomainError):
    """A change that does not fit the case; `reason` is plain words, no markup."""

    case_id: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class ProblemLinked(DomainEvent):
    """The case became one report of a problem: by detection (`actor` is Casebot) or by
    someone's `/case problem link`."""

    kind = "problem_linked"
    problem_id: int
    problem: str


@dataclass(frozen=True, kw_only=True)
class ProblemUnlinked(DomainEvent):
    kind = "problem_unlinked"
    problem_id: int
    problem: str
