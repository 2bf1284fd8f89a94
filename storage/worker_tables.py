"""Tables only the worker's jobs keep: digest slots, on-call overrides and announced
handoffs, and where each poller stands. None of them points at a case."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import utc_field


class DigestRun(SQLModel, table=True):
    """A digest's schedule slot, claimed once: the unique row is inserted in the same
    transaction that queues the digest, so each slot is sent once however many workers
    run. `late` marks a slot sent on recovery after it was missed."""

    __tablename__ = "digest_runs"
    __table_args__ = (UniqueConstraint("name", "slot", name="uq_digest_run_slot"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str
    slot: datetime = utc_field(nullable=False)
    late: bool = False
    claimed_at: datetime = utc_field(nullable=False)


class OncallOverride(SQLModel, table=True):
    __tablename__ = "oncall_overrides"

    id: int | None = Field(default=None, primary_key=True)
    department: str = Field(index=True)
    user_id: str
    starts_at: datetime = utc_field(nullable=False)
    ends_at: datetime = utc_field(nullable=False)
    created_by: str


class Handoff(SQLModel, table=True):
    """An announced on-call handoff; unique per department and shift start."""

    __tablename__ = "handoffs"
    __table_args__ = (UniqueConstraint("department", "shift_start", name="uq_handoff_shift"),)

    id: int | None = Field(default=None, primary_key=True)
    department: str
    shift_start: datetime = utc_field(nullable=False)
    user_id: str
    announced_at: datetime = utc_field(nullable=False)


class PollerState(SQLModel, table=True):
    """Where one source's poller stands, shared by every worker (`bot.polling`).

    `cursor` is the newest item stored (a Mastodon notification id), advanced in the
    same transaction as the post it names, so a restart neither reads it again nor
    skips what follows; `etag` and `last_modified` are the feed's validators, saved only
    once every entry of that response is stored. `lease_owner`/`lease_until`: the
    worker polling it now (one at a time). `target` is the URL the state belongs to: a
    source pointed somewhere else starts afresh.
    """

    __tablename__ = "pollers"

    source: str = Field(primary_key=True)
    kind: str
    target: str = ""
    cursor: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    failures: int = 0
    next_poll_at: datetime = utc_field(nullable=False)
    lease_owner: str | None = None
    lease_until: datetime | None = utc_field(nullable=True)
    last_success_at: datetime | None = utc_field(nullable=True)
    last_error_at: datetime | None = utc_field(nullable=True)
    last_error: str | None = None
    last_items: int = 0
    """Posts stored by the last successful poll."""
