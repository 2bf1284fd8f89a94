"""Casebot's tables.

One row type per idea; every timestamp is UTC (see `UTCDateTime`). Uniqueness that
carries a promise (a post is stored once, a reminder fires once, an outbox message is
sent once) is a database constraint, never a read-then-write check.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from storage.types import ACTIVE_STATUSES, CASE_STATUS_CHECK, CaseStatus, utc_field

MAX_ID = 2**31 - 1
"""Ids are INTEGER columns, 32 bits on PostgreSQL: a larger id names no row, and asking
for one would make PostgreSQL refuse the query (`integer out of range`)."""


def _empty_list() -> list[Any]:
    """A plain function, not `list`: pydantic inspects a default factory's signature on
    every instance, and for builtins that means parsing text (8 % of ingest time)."""
    return []


def _empty_dict() -> dict[str, Any]:
    return {}


OPEN_CASES = "status IN ({})".format(", ".join(f"'{s}'" for s in ACTIVE_STATUSES))
"""The predicate of the partial index of open cases; a query uses that index only when
it says exactly this (a literal, not a bound parameter)."""

NO_FIRST_RESPONSE = "first_response_at IS NULL"
"""The cases whose first response may still come late: the summary counts those past
their deadline at the time of asking (`storage.rollup.read`)."""

RUNNING = "stopped_at IS NULL"
"""The clocks still running: judged against their deadline at the time of asking."""


class Customer(SQLModel, table=True):
    __tablename__ = "customers"

    id: int | None = Field(default=None, primary_key=True)
    name: str = ""
    email: str | None = Field(default=None, index=True)
    tier: str = "standard"
    created_at: datetime = utc_field(nullable=False)


class CustomerIdentity(SQLModel, table=True):
    """One handle of a customer on one source; a customer may have many."""

    __tablename__ = "customer_identities"
    __table_args__ = (UniqueConstraint("source", "external_id", name="uq_identity_source_ext"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    source: str
    external_id: str
    handle: str = ""
    followers: int | None = None


class Case(SQLModel, table=True):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_department_status", "department", "status"),
        Index("ix_cases_created_at", "created_at"),
        Index("ix_cases_id_created_at", "id", "created_at", "department"),
        Index("ix_cases_resolved_at", "resolved_at"),
        Index(
            "ix_cases_open",
            "department",
            "owner_id",
            sqlite_where=text(OPEN_CASES),
            postgresql_where=text(OPEN_CASES),
        ),
        CheckConstraint(CASE_STATUS_CHECK, name="ck_cases_status"),
        Index(
            "ix_cases_no_first_response",
            "created_at",
            "answered",
            "department",
            "id",
            sqlite_where=text(NO_FIRST_RESPONSE),
            postgresql_where=text(NO_FIRST_RESPONSE),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    department: str = Field(index=True)
    status: str = CaseStatus.OPEN.value
    """A `CaseStatus` value."""
    owner_id: str | None = Field(default=None, index=True)
    priority: str = "normal"
    priority_reason: str = ""
    tags: list[str] = Field(default_factory=_empty_list, sa_column=Column(JSON, nullable=False))
    customer_id: int = Field(foreign_key="customers.id", index=True)
    source: str
    conversation_key: str | None = Field(default=None, index=True)
    card_channel: str | None = None
    card_ts: str | None = None
    root_cause: str | None = None
    escalations: int = 0
    pauses: list[list[str | None]] = Field(
        default_factory=_empty_list, sa_column=Column(JSON, nullable=False)
    )
    created_at: datetime = utc_field(nullable=False)
    updated_at: datetime = utc_field(nullable=False)
    claimed_at: datetime | None = utc_field(nullable=True)
    first_response_at: datetime | None = utc_field(nullable=True)
    resolved_at: datetime | None = utc_field(nullable=True)
    answered: str | None = None
    """How the customer got their first response (`bot.answered.Answered`); NULL while
    an open case has had none."""
    problem_id: int | None = Field(default=None, index=True)
    """The problem (`Problem`, P-n) this case is one report of; NULL: none."""
    merged_into: int | None = None
    """The case a `merged` case was merged into (its posts and clocks moved there)."""
    suggested_merge: int | None = None
    """An older open case of the same customer from another source that this one may
    duplicate, found as it opened (`bot.merges`); NULL once merged or dismissed."""


class CaseCard(SQLModel, table=True):
    """One card of a case: the first in the department it opened in, and one more for
    each escalation that moved it to another department.

    `stint` is the case's `escalations` count when it arrived in `department`; a thread
    line carries the stint of the moment it happened, so it lands in the card the case
    had then, even after the case moved on. `channel` and `ts` are set once posted.
    """

    __tablename__ = "case_cards"
    __table_args__ = (UniqueConstraint("case_id", "stint", name="uq_case_card_stint"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    stint: int
    department: str
    channel: str | None = None
    ts: str | None = None


class Hold(SQLModel, table=True):
    """One stretch of a case in one department: from its opening (or its arrival by
    escalation, or a reopen) until it left or was resolved. The OLA report reads these:
    which department used the customer's time.

    `held_us` is the business time it held the case, in the department's OLA calendar,
    waits on the customer excluded; `budget_us` its OLA budget when it arrived by an
    escalation to a department that has one. Both are worked out by the sweep, which
    has the config, once the hold ended: `settle_at` asks it to (like
    `SlaClock.next_due_at`).
    """

    __tablename__ = "holds"
    __table_args__ = (Index("ix_holds_ended_at", "ended_at"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    department: str
    arrived: str
    """`opened`, `escalated` or `reopened`."""
    started_at: datetime = utc_field(nullable=False)
    ended_at: datetime | None = utc_field(nullable=True)
    held_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    budget_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    settle_at: datetime | None = utc_field(nullable=True, index=True)


class Reply(SQLModel, table=True):
    """An answer to the customer, from Slack through the source's reply connector.

    Status: `pending_approval` → `queued` → `sent` | `failed`, or `discarded`.
    """

    __tablename__ = "replies"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    author_id: str
    text: str = Field(sa_column=Column(Text, nullable=False))
    status: str = "queued"
    approver_id: str | None = None
    external_id: str | None = None
    error: str | None = None
    draft_channel: str | None = None
    draft_ts: str | None = None
    """Where the draft with Approve/Discard was posted, so the decision can edit it."""
    created_at: datetime = utc_field(nullable=False)
    sent_at: datetime | None = utc_field(nullable=True)


class Post(SQLModel, table=True):
    __tablename__ = "posts"
    __table_args__ = (UniqueConstraint("source", "external_id", name="uq_post_source_ext"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str
    external_id: str
    case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    customer_id: int = Field(foreign_key="customers.id")
    text: str = Field(sa_column=Column(Text, nullable=False))
    url: str | None = None
    author_handle: str = ""
    author_name: str = ""
    conversation_id: str | None = None
    in_reply_to: str | None = None
    language: str | None = None
    extra: dict[str, Any] = Field(
        default_factory=_empty_dict, sa_column=Column(JSON, nullable=False)
    )
    posted_at: datetime = utc_field(nullable=False)
    received_at: datetime = utc_field(nullable=False)


class Event(SQLModel, table=True):
    """Append-only audit log: who did what to which case, when, from where."""

    __tablename__ = "events"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    kind: str
    actor: str
    surface: str
    at: datetime = utc_field(nullable=False)
    data: dict[str, Any] = Field(
        default_factory=_empty_dict, sa_column=Column(JSON, nullable=False)
    )


class Outbox(SQLModel, table=True):
    """A message Casebot owes someone, delivered by the worker with retries.

    `key` makes enqueueing idempotent; `lease_until` lets several workers share the
    queue, and `lease_token` (bumped at every claim) fences them: only the holder of the
    current lease may renew it or record the row's outcome. `post_started_at` is when
    an attempt last began a call that may have posted (NULL: none did), so a later
    attempt looks for that message before posting again (`bot.slack.posting`).
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_kind_status_case", "kind", "status", "case_id"),
        # "Does an older row of this case wait": one probe, whatever the statistics say.
        Index(
            "ix_outbox_case_pending",
            "case_id",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    kind: str
    case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    payload: dict[str, Any] = Field(
        default_factory=_empty_dict, sa_column=Column(JSON, nullable=False)
    )
    status: str = "pending"
    attempts: int = 0
    last_error: str | None = None
    created_at: datetime = utc_field(nullable=False)
    next_attempt_at: datetime = utc_field(nullable=False)
    lease_until: datetime | None = utc_field(nullable=True)
    lease_token: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    post_started_at: datetime | None = utc_field(nullable=True)
    sent_at: datetime | None = utc_field(nullable=True)
    result: dict[str, Any] = Field(
        default_factory=_empty_dict, sa_column=Column(JSON, nullable=False)
    )


class SlaClock(SQLModel, table=True):
    """One run of one SLA clock of a case (`next_response` runs once per customer turn).

    `next_due_at` is the next instant the sweep must look at this clock (a reminder, or a
    threshold the card must be re-rendered at), or NULL when nothing is pending; the
    sweep's indexed query reads only due rows, so its cost grows with what is due, not
    with how many cases are open.
    """

    __tablename__ = "sla_clocks"
    __table_args__ = (
        UniqueConstraint("case_id", "name", "run", name="uq_clock_case_name_run"),
        Index(
            "ix_sla_clocks_running",
            "name",
            "due_at",
            "case_id",
            sqlite_where=text(RUNNING),
            postgresql_where=text(RUNNING),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    name: str
    run: int = 1
    started_at: datetime = utc_field(nullable=False)
    stopped_at: datetime | None = utc_field(nullable=True)
    snoozed_until: datetime | None = utc_field(nullable=True)
    next_due_at: datetime | None = utc_field(nullable=True, index=True)
    due_at: datetime | None = utc_field(nullable=True)
    """The deadline as the sweep last worked it out (pauses and business hours
    included; NULL while a pause holds the clock short of it): the summary judges a
    clock met when it stopped, or its case was answered, by this instant. A stop asks
    the sweep (`next_due_at`) to settle it once more as of the stop."""
    sent: list[str] = Field(default_factory=_empty_list, sa_column=Column(JSON, nullable=False))
    card_steps: list[str] = Field(
        default_factory=_empty_list, sa_column=Column(JSON, nullable=False)
    )
    """Thresholds whose crossing the card has been re-rendered for. Unlike `sent`, a
    snooze or closed hours never defer these: the card's words follow the clock."""


class Reminder(SQLModel, table=True):
    """A reminder that was sent: the unique row is claimed in the same transaction that
    queues the message, so each (clock run, threshold) is sent exactly once."""

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("clock_id", "threshold", name="uq_reminder_clock_threshold"),
        Index("ix_reminders_threshold_at", "threshold", "at", "case_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    clock_id: int = Field(foreign_key="sla_clocks.id", index=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    threshold: str
    at: datetime = utc_field(nullable=False)


class StatusLink(SQLModel, table=True):
    """A link to a case's status page, as its token's SHA-256 only: the database (a
    backup, a replica, a support query) opens no page. A case gets one link per time it
    is handed out (the acknowledgement, an agent's `/case show`), since a kept hash can
    never be shown again; every one of them opens the same page."""

    __tablename__ = "status_links"
    __table_args__ = (UniqueConstraint("token_hash", name="uq_status_link_token"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    token_hash: str
    created_at: datetime = utc_field(nullable=False)


class Acknowledgement(SQLModel, table=True):
    """The automatic answer a new case's customer gets: at most one per case (the key).

    State: `queued` → `sent` | `failed`, or `skipped` with the `reason` (an automated
    sender, a reply to our own message, or a person who answered first). `promised_at`
    is the instant the sent acknowledgement promised; `external_id` is what the remote
    calls it, so a customer answering it joins the case.
    """

    __tablename__ = "acknowledgements"

    case_id: int = Field(foreign_key="cases.id", primary_key=True)
    state: str = "queued"
    reason: str | None = None
    promised_at: datetime | None = utc_field(nullable=True)
    external_id: str | None = Field(default=None, index=True)
    created_at: datetime = utc_field(nullable=False)
    sent_at: datetime | None = utc_field(nullable=True)


from storage import merge_tables as _merge_tables  # noqa: E402,F401  (registers them)
from storage import problem_tables as _problem_tables  # noqa: E402,F401  (registers them)
from storage import worker_tables as _worker_tables  # noqa: E402,F401  (registers them)
from storage.rollup import models as _rollup_models  # noqa: E402,F401  (registers them)
