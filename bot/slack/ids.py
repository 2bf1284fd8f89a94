"""Every id Casebot puts into Slack, and the one encode/decode pair of each value.

Action, callback and block ids are stored in messages and views already in Slack, so a
shipped string never changes: rename the member, not the value. Values (a button's
`value`, a modal's `private_metadata`) are small JSON objects, written and read only
here; a decoder answers None for anything it did not write (stale or forged).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.reading import MAX_PAGE, ListQuery, ListScope, SnoozeChoice
from bot.sla.snooze import ALLOWED_MINUTES
from bot.state import Action


class ActionId(StrEnum):
    """Buttons and selects; each has one listener in `handlers/slack/`."""

    CLAIM = "case_claim"
    UNCLAIM = "case_unclaim"
    ESCALATE = "case_escalate"
    REPLY = "case_reply"
    RESOLVE = "case_resolve"
    REOPEN = "case_reopen"
    WAIT = "case_wait"
    TAKE_OVER = "case_take_over"
    REVEAL = "case_reveal"
    MERGE = "case_merge"
    NOT_SAME = "case_not_same"
    APPROVE_REPLY = "reply_approve"
    DISCARD_REPLY = "reply_discard"
    SNOOZE_CHOICE = "snooze_choice"
    SNOOZE_WITH_REASON = "snooze_with_reason"
    CASE_OPEN = "case_open"
    # Both start with "case_list_page": one listener (a regex) serves both buttons.
    CASE_LIST_PREV = "case_list_page_prev"
    CASE_LIST_NEXT = "case_list_page_next"
    PROBLEM_CLAIM = "problem_claim"
    PROBLEM_REPLY = "problem_reply"
    PROBLEM_RESOLVE = "problem_resolve"


PROBLEM_ACTIONS = (ActionId.PROBLEM_CLAIM, ActionId.PROBLEM_REPLY, ActionId.PROBLEM_RESOLVE)
"""The problem card's buttons, in the order the card shows them."""


@dataclass(frozen=True)
class Button:
    """How an action the case offers (`bot.state.available_actions`) looks on a card."""

    label: str
    action_id: ActionId
    style: str | None = None
    beside_text: bool = False
    """Shown beside the customer's text (it is about that text), not in the buttons row."""


BUTTONS: dict[Action, Button] = {
    Action.CLAIM: Button("Claim", ActionId.CLAIM, "primary"),
    Action.TAKE_OVER: Button("Take over", ActionId.TAKE_OVER, "danger"),
    Action.REPLY: Button("Reply…", ActionId.REPLY),
    Action.ESCALATE: Button("Escalate…", ActionId.ESCALATE),
    Action.RESOLVE: Button("Resolve…", ActionId.RESOLVE),
    Action.WAIT: Button("Waiting on customer", ActionId.WAIT),
    Action.REOPEN: Button("Reopen", ActionId.REOPEN),
    Action.REVEAL: Button("Reveal", ActionId.REVEAL, beside_text=True),
}


CASE_LIST_PAGE = r"^case_list_page"
"""The listener pattern of both page buttons."""


class CallbackId(StrEnum):
    """Modals; each submission has one listener in `handlers/slack/views.py`."""

    ESCALATE_MODAL = "escalate_modal"
    REPLY_MODAL = "reply_modal"
    RESOLVE_MODAL = "resolve_modal"
    SNOOZE_MODAL = "snooze_modal"
    PROBLEM_REPLY_MODAL = "problem_reply_modal"
    PROBLEM_RESOLVE_MODAL = "problem_resolve_modal"


class InputId(StrEnum):
    """Inputs of the modals: the same string is block id and action id, so a
    submission is read as `view["state"]["values"][X][X]`."""

    ESCALATE_DEPARTMENT = "escalate_department"
    ESCALATE_USER = "escalate_user"
    ESCALATE_REASON = "escalate_reason"
    REPLY_TEXT = "reply_text"
    RESOLVE_TAG = "resolve_tag"
    RESOLVE_NOTE = "resolve_note"
    RESOLVE_ANSWERED = "resolve_answered"
    SNOOZE_MINUTES = "snooze_minutes"
    SNOOZE_REASON = "snooze_reason"
    PROBLEM_TEXT = "problem_text"
    PROBLEM_TAG = "problem_tag"
    PROBLEM_NOTE = "problem_note"


CASE_LIST_PAGES_BLOCK = "case_list_pages"


def case_actions_block(case_id: int) -> str:
    return f"case_actions:{case_id}"


def snooze_block(case_id: int) -> str:
    return f"snooze:{case_id}"


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"))


def _load(text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(text)
    except (ValueError, TypeError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _positive(value: Any) -> int | None:
    return value if type(value) is int and value > 0 else None


def case_value(case_id: int) -> str:
    """A case's buttons and modals: `{"case":42}`."""
    return _dump({"case": case_id})


def read_case_value(text: str) -> int | None:
    """The case id of a button value or `private_metadata`, else None."""
    data = _load(text)
    return _positive(data.get("case")) if data else None


def merge_value(case_id: int, other_id: int) -> str:
    """A suggestion's Merge and Not the same buttons: `{"case":13,"other":12}`."""
    return _dump({"case": case_id, "other": other_id})


def read_merge_value(text: str) -> tuple[int, int] | None:
    """(the case with the suggestion, the case it suggests), else None."""
    data = _load(text)
    if data is None:
        return None
    case_id, other = _positive(data.get("case")), _positive(data.get("other"))
    return (case_id, other) if case_id and other else None


def problem_value(problem_id: int) -> str:
    """A problem card's buttons and modals: `{"problem":7}`."""
    return _dump({"problem": problem_id})


def read_problem_value(text: str) -> int | None:
    """The problem id of a button value or `private_metadata`, else None."""
    data = _load(text)
    return _positive(data.get("problem")) if data else None


def reply_value(reply_id: int) -> str:
    """A draft reply's Approve and Discard buttons: `{"reply":7}`."""
    return _dump({"reply": reply_id})


def read_reply_value(text: str) -> int | None:
    """The reply id, read leniently (`"7"` too): the core refuses a reply that is not."""
    data = _load(text)
    try:
        return int(data["reply"])  # type: ignore[index]
    except (ValueError, TypeError, KeyError, OverflowError):
        return None


def snooze_value(choice: SnoozeChoice) -> str:
    return _dump({"case": choice.case_id, "min": choice.minutes})


def read_snooze_value(text: str) -> SnoozeChoice | None:
    """The choice in a snooze option, else None (only the offered durations are valid)."""
    data = _load(text)
    if data is None or (case_id := _positive(data.get("case"))) is None:
        return None
    minutes = data.get("min")
    return SnoozeChoice(case_id, minutes) if minutes in ALLOWED_MINUTES else None


def list_page_value(query: ListQuery) -> str:
    return _dump({"scope": query.scope.value, "dept": query.department, "page": query.page})


def read_list_page_value(text: str) -> ListQuery | None:
    """The page a pagination button asks for, else None."""
    data = _load(text)
    try:
        scope, department, page = ListScope(data["scope"]), data["dept"], data["page"]  # type: ignore[index]
    except (ValueError, TypeError, KeyError):
        return None
    if department is not None and type(department) is not str:
        return None
    if type(page) is not int or not 1 <= page <= MAX_PAGE:
        return None
    return ListQuery(scope, department, page)
