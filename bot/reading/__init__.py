"""Plain data the Slack views render: case lists, App Home, one case's timeline.

The core fills these from the database; `bot.slack.lists` and `bot.slack.show` turn
them into Block Kit.
Nothing here knows about Slack, so listing rules can be tested without rendering.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.state import CaseStatus


class ListScope(StrEnum):
    """Which cases `/case list` shows; the values are what people type."""

    MINE = "mine"
    OPEN = "open"
    UNCLAIMED = "unclaimed"
    BREACHING = "breaching"


@dataclass(frozen=True)
class CaseSummary:
    """One case as a list line. Every text field is untrusted and escaped on render."""

    case_id: int
    ref: str
    priority: str
    status: CaseStatus
    owner_id: str | None
    department: str
    """The department's key (as everywhere in the core)."""
    customer: str
    excerpt: str
    sla_text: str | None
    """e.g. "first response due in 42 min"; None when no clock runs."""
    url: str | None
    """Permalink of the case card in Slack, when it has been posted."""
    department_name: str = ""
    """What the renderer shows for the department; its key when empty (the config no
    longer has it)."""


@dataclass(frozen=True)
class Person:
    """A Slack user named in a timeline line: rendered as a mention, never as text."""

    user_id: str


LinePart = str | Person
"""Plain text (untrusted: escaped on render) or a person."""

LinePresenter = Callable[[str, str, Mapping[str, Any]], tuple[LinePart, ...]]
"""(stored event kind, actor, data) → its words: the renderer's, handed to the read side."""


@dataclass(frozen=True)
class TimelineEntry:
    """One change in a case's history: `line` is its words and the people it names, in
    order; `actor` a Slack user or None."""

    at: datetime
    actor: str | None
    line: tuple[LinePart, ...]


@dataclass(frozen=True)
class CaseDetail:
    """Everything `/case show` prints: the list line, the post, tags and the timeline."""

    summary: CaseSummary
    text: str
    tags: tuple[str, ...]
    timeline: tuple[TimelineEntry, ...]
    """Oldest first, as stored."""
    status_url: str | None = None
    """A fresh link to the customer's status page, for the agent to paste; None without
    PUBLIC_URL."""


MAX_PAGE = 100_000
"""The highest page anyone may ask for, typed or in a button's value: far past any real
queue, and its offset stays well inside every database's integer range."""


@dataclass(frozen=True)
class ListQuery:
    """A page of `/case list`; carried in the pagination buttons so a click is stateless."""

    scope: ListScope
    department: str | None
    """A department key, already resolved from a channel mention by the caller."""
    page: int


@dataclass(frozen=True)
class CasePage:
    """The cases on one page of a list, and how many match in all."""

    query: ListQuery
    cases: tuple[CaseSummary, ...]
    total: int


@dataclass(frozen=True)
class HomeContent:
    """The App Home tab of one person: their cases, their department's queue, the urgent."""

    mine: tuple[CaseSummary, ...]
    queue: tuple[CaseSummary, ...]
    queue_department: str | None
    """Key of the department whose unclaimed queue is shown; None when the person has none."""
    queue_department_name: str
    breaching: tuple[CaseSummary, ...]


@dataclass(frozen=True)
class SnoozeChoice:
    """A reminder snoozed from a DM: which case, for how long."""

    case_id: int
    minutes: int
