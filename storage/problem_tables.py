"""The problem tables (SPEC "Problems"): problems, the window's case terms, and the
replies sent to all of a problem's customers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import utc_field


class Problem(SQLModel, table=True):
    """Many customers' cases with one root cause (SPEC "Problems"), reached through the
    cases linked to it (`Case.problem_id`). Its card is in `department`'s channel, the
    department most of its cases were routed to; `card_at` is when the card was last
    sent, so edits are paced (one per second per channel)."""

    __tablename__ = "problems"
    __table_args__ = (Index("ix_problems_status_last_seen", "status", "last_seen_at"),)

    id: int | None = Field(default=None, primary_key=True)
    status: str = "open"
    department: str
    owner_id: str | None = None
    root_cause: str | None = None
    note: str = ""
    card_channel: str | None = None
    card_ts: str | None = None
    card_at: datetime | None = utc_field(nullable=True)
    created_at: datetime = utc_field(nullable=False)
    first_seen_at: datetime = utc_field(nullable=False)
    last_seen_at: datetime = utc_field(nullable=False)
    claimed_at: datetime | None = utc_field(nullable=True)
    answered_at: datetime | None = utc_field(nullable=True)
    """When Reply to all was first asked for; the cases' own clocks say who got it."""
    resolved_at: datetime | None = utc_field(nullable=True)


class CaseTerm(SQLModel, table=True):
    """The words (stems) an open case is compared by, one row each, while it is in the
    problem window: detection looks cases up by the rare words of a new one through
    `(term, at)`, so its cost follows how many cases share a word, not how many exist.
    Rows go when the case is resolved or leaves the window."""

    __tablename__ = "case_terms"
    __table_args__ = (Index("ix_case_terms_lookup", "term", "at", "case_id", "size"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    term: str
    at: datetime = utc_field(nullable=False, index=True)
    size: int
    """How many terms the case has: with it, a lookup scores a candidate from the
    index alone (the index covers the lookup)."""


class ProblemReply(SQLModel, table=True):
    """One Reply to all: the same text (by its SHA-256) goes to a problem's customers
    once, however often it is submitted; each case's own `Reply` carries it out."""

    __tablename__ = "problem_replies"
    __table_args__ = (UniqueConstraint("problem_id", "digest", name="uq_problem_reply_digest"),)

    id: int | None = Field(default=None, primary_key=True)
    problem_id: int = Field(foreign_key="problems.id", index=True)
    author_id: str
    text: str = Field(sa_column=Column(Text, nullable=False))
    digest: str
    created_at: datetime = utc_field(nullable=False)


class QueuedDetection(SQLModel, table=True):
    """A case opened by a customer post whose problem detection has not run yet. The
    intake only queues it (one row, written with the case): detection is one at a time
    across all processes, so doing it in the request would make every ingest wait its
    turn. The worker takes the queue in case order (`bot.problems.queue`), and a row
    goes in the transaction that did its detection: each case is detected once."""

    __tablename__ = "detection_queue"

    case_id: int = Field(
        foreign_key="cases.id", primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    post_id: int = Field(foreign_key="posts.id")
    at: datetime = utc_field(nullable=False)
    """When the case opened: detection reads the window and dates a problem from it."""
