"""The events and the refusal of suggested merges (SPEC "Suggested merges").

Beside `bot.events` rather than in it (that module is at its size limit); they are
`DomainEvent`s like any other: audited, presented, found by `event_classes`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.events import DomainError, DomainEvent


@dataclass(frozen=True, kw_only=True)
class MergeSuggested(DomainEvent):
    """The case opened while the same customer had another open case from another source
    (`other`): its card asks whether they are the same. Nothing is merged by this."""

    kind = "merge_suggested"
    in_timeline = False
    other_id: int
    other: str
    """`C-12`, as people read it."""
    other_source: str


@dataclass(frozen=True, kw_only=True)
class MergeDismissed(DomainEvent):
    """Someone said the case and `other` are not the same: never suggested again."""

    kind = "merge_dismissed"
    other_id: int
    other: str


@dataclass(frozen=True, kw_only=True)
class CaseMerged(DomainEvent):
    """Case `merged` was merged into case `into`: one event on each of the two.

    On the merged case (`kept` False) its card becomes a pointer; on the case kept
    (`kept` True) the thread gets the merged case's history, read at delivery from
    `post_ids` (the posts that moved) and the merged case's own audit rows.
    """

    kind = "merged"
    merged_id: int
    merged: str
    into_id: int
    into: str
    kept: bool
    source: str
    """The merged case's source."""
    post_ids: list[int] = field(default_factory=list)


class Why(StrEnum):
    """Why two cases cannot be merged (the words are in `bot.slack.refusals`)."""

    ITSELF = "itself"
    MERGED = "merged"
    """The case was already merged (into `other`)."""
    INTO_MERGED = "into_merged"
    INTO_RESOLVED = "into_resolved"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"
    """Someone marked the pair not the same (the button was out of date)."""
    NO_SUGGESTION = "no_suggestion"
    """The card's suggestion no longer stands (merged, dismissed, or gone)."""


@dataclass
class MergeRefused(DomainError):
    """Case `case_id` cannot be merged into case `into` (or dismissed from it)."""

    case_id: int
    into: int
    why: Why
    other: int | None = None
    """For `MERGED` / `INTO_MERGED`: the case the merged one lives in now."""
