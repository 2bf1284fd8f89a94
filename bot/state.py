"""What a case allows in each state: the one table the lifecycle guards and every
renderer (card, list, App Home, reminder DM) read, so a button is never offered that
the core would refuse, and no renderer works the rules out again.

Two questions, one table:
- `require` (the guards): may this be done to a case in this status at all? Who owns it
  is checked atomically by the change itself (`UPDATE … WHERE owner_id IS NULL`).
- `available_actions` (the renderers): which of those does the case offer now, given
  its owner and whether a clock is breached (read at the renderer's `now`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.events import DomainError
from storage.types import CaseStatus

__all__ = ["Action", "CaseState", "CaseStatus", "NotNow", "available_actions", "require"]


class Action(StrEnum):
    """Something a person can do to a case (the values name it in refusals and logs)."""

    CLAIM = "claim"
    TAKE_OVER = "take_over"
    UNCLAIM = "unclaim"
    ASSIGN = "assign"
    REPLY = "reply"
    ESCALATE = "escalate"
    RESOLVE = "resolve"
    WAIT = "wait"
    REOPEN = "reopen"
    SNOOZE = "snooze"
    NOTE = "note"
    REVEAL = "reveal"
    MERGE = "merge"
    """Merge into another case, or say it is not the same (`bot.merges`)."""


_WORKING = frozenset(
    {
        Action.CLAIM,
        Action.TAKE_OVER,
        Action.UNCLAIM,
        Action.ASSIGN,
        Action.REPLY,
        Action.ESCALATE,
        Action.RESOLVE,
        Action.SNOOZE,
        Action.NOTE,
        Action.REVEAL,
        Action.MERGE,
    }
)

PERMITTED: dict[CaseStatus, frozenset[Action]] = {
    CaseStatus.OPEN: _WORKING | {Action.WAIT},
    CaseStatus.WAITING: _WORKING,
    CaseStatus.RESOLVED: frozenset({Action.REOPEN, Action.UNCLAIM, Action.NOTE, Action.REVEAL}),
    CaseStatus.MERGED: frozenset(),
}
"""What each status allows at all (an owner may still give back a resolved case; a
merged case lives on in the case it was merged into, so it allows nothing)."""

CARD_ORDER = (
    Action.CLAIM,
    Action.TAKE_OVER,
    Action.REPLY,
    Action.ESCALATE,
    Action.RESOLVE,
    Action.WAIT,
    Action.REOPEN,
    Action.REVEAL,
)
"""The actions a case offers as buttons, in the order a card shows them."""


@dataclass
class NotNow(DomainError):
    """The case's status does not allow the action (reopen an open case, reply on a
    resolved one)."""

    case_id: int
    status: CaseStatus
    action: Action


@dataclass(frozen=True)
class CaseState:
    """The facts the rules depend on, as any surface has them."""

    status: CaseStatus
    owner_id: str | None
    breached: bool = False
    """A clock of the case was breached at the reading (the renderer's `now`)."""
    masked: bool = False
    """The customer's text as shown has personal data masked (so Reveal has something
    to show)."""


def available_actions(state: CaseState) -> tuple[Action, ...]:
    """The buttons the case offers, in card order: Claim while nobody owns it, Take over
    only once an owned case breached, Waiting on customer unless it already waits, only
    Reopen once resolved, Reveal while something is masked (a resolved case may still
    be revealed, through `/case reveal`)."""
    permitted = PERMITTED[CaseStatus(state.status)]

    def offered(action: Action) -> bool:
        if action is Action.CLAIM:
            return state.owner_id is None
        if action is Action.TAKE_OVER:
            return state.owner_id is not None and state.breached
        if action is Action.REVEAL:
            return state.masked and state.status != CaseStatus.RESOLVED
        return True

    return tuple(a for a in CARD_ORDER if a in permitted and offered(a))


def require(case_id: int, status: str, action: Action) -> None:
    """Refuse (`NotNow`) an action the case's status does not allow."""
    current = CaseStatus(status)
    if action not in PERMITTED[current]:
        raise NotNow(case_id, current, action)
