"""Suggested merges (SPEC "Suggested merges"): one person writing about one matter on
two channels is one case, but only a person decides that. Never merge silently.

- `on_open` (called by the intake as a case opens, in its transaction): the newest
  other active case of the same customer from another source, opened within
  `merge_window` and not dismissed with this one, becomes the case's suggestion; its
  card asks "Possibly the same as C-12" with Merge and Not the same.
- `merge` (the card's button, `/case merge C-13 C-12`): the first case is merged into
  the second. Its posts move there, the kept case takes the earliest start of each
  running clock (and owes a response if the merged case did), the merged case's
  clocks go (it counts in no SLA figure) and it becomes `merged`: neither open nor
  resolved, its card a pointer with no buttons. Both cases get a `CaseMerged`.
- `dismiss` (Not the same): the pair is stored, so it is never suggested again.

Races: every decision is a conditional UPDATE (the case still active, the suggestion
still the one clicked), taken on the two rows in id order so that merging A into B
while B goes into A cannot deadlock on PostgreSQL: one of them wins, the other is told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot import effects, permissions, pii
from bot.cases import get_case
from bot.events import SYSTEM, DomainEvent, NoteAdded, ReplySent
from bot.ids import Surface, format_case_id
from bot.merge_events import CaseMerged, MergeDismissed, MergeRefused, MergeSuggested, Why
from bot.sla import ClockKind
from bot.state import CaseStatus
from config.schema import CasebotConfig
from storage import holds, lists, sla_clocks
from storage import merges as store
from storage.models import Case
from storage.types import ACTIVE_STATUSES

RESPONSE_CLOCKS = (ClockKind.FIRST_RESPONSE.value, ClockKind.NEXT_RESPONSE.value)
HISTORY_ITEMS = 20
"""At most this many posts and notes of a merged case in the kept case's thread."""


def on_open(session: Session, case: Case, *, now: datetime, config: CasebotConfig) -> None:
    """Suggest a merge for a case that just opened, if its customer has a case that
    may be the same one (one indexed query)."""
    case_id = case.id or 0
    found = store.candidate(
        session,
        case_id=case_id,
        customer_id=case.customer_id,
        source=case.source,
        since=now - config.merge_window,
    )
    if found is None or found.id is None:
        return
    case.suggested_merge = found.id
    event = MergeSuggested(
        case_id=case_id,
        actor=SYSTEM,
        surface=Surface.INGEST,
        at=now,
        other_id=found.id,
        other=format_case_id(found.id),
        other_source=found.source,
    )
    effects.publish(session, [event])


def _state_refusal(session: Session, merged_id: int, into_id: int) -> MergeRefused | None:
    """Why the two cannot be merged as their rows stand (read again after a lost
    conditional update), if they cannot."""
    merged, into = get_case(session, merged_id), get_case(session, into_id)
    if merged.status == CaseStatus.MERGED:
        return MergeRefused(merged_id, into_id, Why.MERGED, merged.merged_into)
    if merged.status == CaseStatus.RESOLVED:
        return MergeRefused(merged_id, into_id, Why.RESOLVED)
    if into.status == CaseStatus.MERGED:
        return MergeRefused(merged_id, into_id, Why.INTO_MERGED, into.merged_into)
    if into.status == CaseStatus.RESOLVED:
        return MergeRefused(merged_id, into_id, Why.INTO_RESOLVED)
    return None


def _lost(session: Session, case_id: int, other_id: int) -> MergeRefused:
    """The refusal of a click whose conditional update lost: the state, else the
    suggestion that no longer stands (dismissed, or never this one)."""
    found = _state_refusal(session, case_id, other_id)
    if found is not None:
        return found
    gone = Why.DISMISSED if store.dismissed(session, a=case_id, b=other_id) else Why.NO_SUGGESTION
    return MergeRefused(case_id, other_id, gone)


def merge(
    session: Session,
    merged_id: int,
    into_id: int,
    *,
    actor: str,
    surface: Surface,
    now: datetime,
    config: CasebotConfig,
    suggested: bool = False,
) -> list[DomainEvent]:
    """Merge case `merged_id` into case `into_id`. `suggested`: clicked on the card's
    suggestion, which must still stand (a "Not the same" that won keeps it from
    merging); `/case merge` merges any two active cases someone names."""
    permissions.require(config, actor, "assign")
    if merged_id == into_id:
        raise MergeRefused(merged_id, into_id, Why.ITSELF)
    if (refused := _state_refusal(session, merged_id, into_id)) is not None:
        raise refused
    for case_id in sorted((merged_id, into_id)):
        if case_id == merged_id:
            won = store.mark_merged(
                session,
                case_id=merged_id,
                into=into_id,
                now=now,
                suggested=into_id if suggested else None,
            )
        else:
            won = store.keep_active(session, case_id=into_id, now=now)
        if not won:
            raise _lost(session, merged_id, into_id)
    post_ids = store.move_posts(session, from_case=merged_id, to_case=into_id)
    merged, into = get_case(session, merged_id), get_case(session, into_id)
    _fold_clocks(session, merged_id, into_id, now)
    holds.end(session, case_id=merged_id, at=now)
    if merged.created_at < into.created_at:
        into.created_at = merged.created_at
    if into.suggested_merge == merged_id:
        into.suggested_merge = None
    common: dict[str, Any] = {
        "actor": actor,
        "surface": surface,
        "at": now,
        "merged_id": merged_id,
        "merged": format_case_id(merged_id),
        "into_id": into_id,
        "into": format_case_id(into_id),
        "source": merged.source,
    }
    events: list[DomainEvent] = [
        CaseMerged(case_id=merged_id, kept=False, **common),
        CaseMerged(case_id=into_id, kept=True, post_ids=post_ids, **common),
    ]
    effects.publish(session, events)
    return events


def _fold_clocks(session: Session, merged_id: int, into_id: int, now: datetime) -> None:
    """The kept case keeps the earliest start of each clock both run; if the merged case
    still owed the customer a response and the kept one owes none, the kept case owes
    one from then. The merged case's clocks go."""
    mine = sla_clocks.for_case(session, case_id=merged_id, running_only=True)
    theirs = {c.name: c for c in sla_clocks.for_case(session, case_id=into_id, running_only=True)}
    for clock in mine:
        kept = theirs.get(clock.name)
        if kept is not None and clock.started_at < kept.started_at:
            kept.started_at = clock.started_at
    owed = [c.started_at for c in mine if c.name in RESPONSE_CLOCKS]
    if owed and not any(name in theirs for name in RESPONSE_CLOCKS):
        next_response = ClockKind.NEXT_RESPONSE.value
        sla_clocks.start(session, case_id=into_id, name=next_response, at=min(owed))
    session.flush()
    sla_clocks.touch(session, case_id=into_id, at=now)
    store.drop_clocks(session, case_id=merged_id)


def dismiss(
    session: Session, case_id: int, other_id: int, *, actor: str, surface: Surface, now: datetime
) -> list[DomainEvent]:
    """Not the same: the case no longer suggests `other_id`, and the pair is stored so
    that it is never suggested again."""
    get_case(session, case_id)
    if not store.clear_suggestion(session, case_id=case_id, other=other_id, now=now):
        raise _lost(session, case_id, other_id)
    if not store.dismissed(session, a=case_id, b=other_id):
        store.dismiss(session, a=case_id, b=other_id, actor=actor, at=now)
    event = MergeDismissed(
        case_id=case_id,
        actor=actor,
        surface=surface,
        at=now,
        other_id=other_id,
        other=format_case_id(other_id),
    )
    effects.publish(session, [event])
    return [event]


@dataclass(frozen=True)
class Suggestion:
    """What a card shows of its case's suggestion: the other case, as people read it."""

    other_id: int
    other: str
    other_source: str


def suggestion_of(session: Session, case: Case) -> Suggestion | None:
    """The case's suggestion if it still stands: both cases still active."""
    if case.suggested_merge is None or case.status not in ACTIVE_STATUSES:
        return None
    other = session.get(Case, case.suggested_merge)
    if other is None or other.status not in ACTIVE_STATUSES:
        return None
    return Suggestion(other.id or 0, format_case_id(other.id or 0), other.source)


@dataclass(frozen=True)
class HistoryItem:
    """One post or note of a merged case, masked, for the kept case's thread."""

    at: datetime
    what: str
    """`post` (the customer), `note` or `reply` (a person, `by`)."""
    by: str
    text: str


def history(session: Session, data: dict[str, Any], config: CasebotConfig) -> list[HistoryItem]:
    """The merged case's posts (from the event's `post_ids`) and its notes and replies,
    oldest first, masked as that case's card masked them."""
    merged = session.get(Case, int(data.get("merged_id") or 0))
    if merged is None:
        return []
    ids = [int(i) for i in data.get("post_ids") or [] if isinstance(i, int)]
    items = [
        HistoryItem(p.posted_at, "post", p.author_handle, pii.for_case(p.text, config, merged))
        for p in store.posts_by_id(session, ids=ids)
    ]
    said = {NoteAdded.kind: "note", ReplySent.kind: "reply"}
    for row in lists.case_events(session, case_id=merged.id or 0):
        if row.kind in said:
            text = pii.for_case(str(row.data.get("text") or ""), config, merged)
            items.append(HistoryItem(row.at, said[row.kind], row.actor, text))
    items.sort(key=lambda i: i.at)
    return items[:HISTORY_ITEMS]
