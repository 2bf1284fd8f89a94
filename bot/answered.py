"""How the customer got their first response: the one fact the first-response SLA and
the summary's time to first response are judged on.

A case resolved without any reply from Casebot must say why, or it counts as never
answered: an unanswered customer is not an answered one.

- `replied`: a reply reached the customer through Casebot (its time is the first
  response).
- `elsewhere`: answered outside Casebot (a phone call, in person, another channel); the
  resolve is the first response, at the time of the resolve.
- `not_needed`: nothing to answer (spam, a duplicate, a thank-you); left out of
  first-response compliance and counted on its own.
- `unanswered`: resolved without a reply and without a reason; the first response
  counts as missed.

NULL (no value) is an open case nobody has answered yet.
"""

from __future__ import annotations

from enum import StrEnum


class Answered(StrEnum):
    REPLIED = "replied"
    ELSEWHERE = "elsewhere"
    NOT_NEEDED = "not_needed"
    UNANSWERED = "unanswered"


NO_REPLY_REASONS = (Answered.ELSEWHERE, Answered.NOT_NEEDED)
"""What a resolver may say when the case had no reply."""


def on_resolve(current: str | None, reason: Answered | None) -> Answered:
    """What a resolve leaves: a case already answered keeps how; otherwise the reason
    given, or `unanswered` when none was."""
    if current in (Answered.REPLIED, Answered.ELSEWHERE):
        return Answered(current)
    if reason is not None and reason not in NO_REPLY_REASONS:
        raise ValueError(f"{reason} is not a reason for resolving without a reply")
    return reason or Answered.UNANSWERED


def on_reopen(current: str | None) -> str | None:
    """A reopened case that nobody answered waits for an answer again: `unanswered` and
    `not_needed` are verdicts of the resolve, not facts about the customer."""
    if current in (Answered.UNANSWERED, Answered.NOT_NEEDED):
        return None
    return current


_LABELS: dict[str, str] = {
    Answered.ELSEWHERE: "answered elsewhere",
    Answered.NOT_NEEDED: "no reply needed",
    Answered.UNANSWERED: "no reply sent",
}


def label(value: str | None) -> str | None:
    """What a resolved case's card says about its answer; nothing when a reply went out."""
    return _LABELS.get(value) if value else None


def reason_label(value: str | None) -> str | None:
    """The reason a resolver gave for no reply, for the timeline line of the resolve."""
    return None if value == Answered.UNANSWERED else label(value)
