"""What a person reads when Casebot says no: every domain refusal worded for Slack.

The core raises errors that carry data (a case id, the owner's user id); only here do
they become words and mentions, so a refusal reads the same from a button, a modal
or the slash command, and the core never writes Slack markup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.events import (
    AlreadyClaimed,
    AlreadyOwns,
    AlreadyWith,
    CaseNotFound,
    DomainError,
    InvalidTransition,
    NotAllowed,
    NotTheOwner,
    ProblemOwned,
    Refused,
)
from bot.ids import format_case_id
from bot.merge_events import MergeRefused, Why
from bot.problems.ids import format_problem_id
from bot.reading.pages import UnknownDepartment
from bot.state import Action, CaseStatus, NotNow


class BadValue(DomainError):
    """A button or form whose value does not parse (stale, or forged)."""


class StalePage(DomainError):
    """A list page button whose page no longer reads."""


_RESOLVED = {
    Action.REPLY: "it is resolved; reopen it to reply.",
    Action.SNOOZE: "it is resolved; nothing to snooze.",
}


def _not_now(exc: NotNow) -> str:
    if exc.status is CaseStatus.MERGED:
        return "it was merged into another case; work on that one (see /case show)."
    if exc.status is CaseStatus.RESOLVED:
        return _RESOLVED.get(exc.action, "it is resolved; reopen it first.")
    if exc.action is Action.REOPEN:
        return "it is not resolved."
    return "it is already waiting on the customer."


def _merge_refused(exc: MergeRefused) -> str:
    ref, into = format_case_id(exc.case_id), format_case_id(exc.into)
    other = format_case_id(exc.other) if exc.other else "another case"
    match exc.why:
        case Why.ITSELF:
            return f"{ref} cannot be merged into itself."
        case Why.MERGED:
            return f"{ref} was already merged into {other}; nothing was changed."
        case Why.RESOLVED:
            return f"{ref} is resolved; reopen it to merge it."
        case Why.INTO_MERGED if exc.other == exc.case_id:
            return f"{into} was already merged into {ref}; nothing was changed."
        case Why.INTO_MERGED:
            return f"{into} was merged into {other}; merge {ref} into {other} instead."
        case Why.INTO_RESOLVED:
            return f"{into} is resolved; reopen it to merge {ref} into it."
        case Why.DISMISSED:
            return f"{ref} and {into} were marked not the same; nothing was merged."
    return f"{ref} no longer suggests {into}; use /case merge {ref} {into} to merge them."


WORDING: dict[type[DomainError], Callable[[Any], str]] = {
    MergeRefused: _merge_refused,
    CaseNotFound: lambda e: f"There is no case {format_case_id(e.case_id)}.",
    AlreadyClaimed: lambda e: f"{format_case_id(e.case_id)} is already owned by <@{e.owner}>.",
    NotTheOwner: lambda e: f"{format_case_id(e.case_id)}: it is owned by <@{e.owner}>, not you.",
    AlreadyOwns: lambda e: f"{format_case_id(e.case_id)}: <@{e.owner}> already owns it.",
    AlreadyWith: lambda e: f"{format_case_id(e.case_id)}: it is already with {e.department_name}.",
    NotNow: lambda e: f"{format_case_id(e.case_id)}: {_not_now(e)}",
    InvalidTransition: lambda e: f"{format_case_id(e.case_id)}: {e.reason}",
    ProblemOwned: lambda e: (
        f"You already own {format_problem_id(e.problem_id)}."
        if e.owner == e.asked_by
        else f"{format_problem_id(e.problem_id)} is already owned by <@{e.owner}>."
    ),
    Refused: lambda e: e.message,
    NotAllowed: lambda e: e.reason,
    UnknownDepartment: lambda e: f"There is no such department; use one of: {', '.join(e.known)}.",
    BadValue: lambda _: "That button is out of date; open the case with /case show.",
    StalePage: lambda _: "That list is out of date; run /case list again.",
}
"""One entry per refusal class; a test fails when a `DomainError` has none."""


def refusal(exc: DomainError) -> str:
    """The short ephemeral answer for a refusal."""
    for cls in type(exc).__mro__:
        if cls in WORDING:
            return WORDING[cls](exc)
    raise TypeError(f"no wording for the refusal {type(exc).__name__}")
