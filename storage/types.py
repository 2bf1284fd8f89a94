"""Column types shared by the tables."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and always hands back an aware datetime.

    SQLite has no time zone type, so without this a value written aware comes back
    naive and comparisons against the injected clock would raise.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class CaseStatus(StrEnum):
    """Where a case is in its life; the `cases.status` column holds only these (a CHECK
    constraint says so). Defined beside the tables because storage may not import the
    core; the core reads it through `bot.state`, which owns what each status allows."""

    OPEN = "open"
    WAITING = "waiting"
    """Waiting on the customer: the SLA clocks are paused until they write."""
    RESOLVED = "resolved"
    MERGED = "merged"
    """Merged into another case (`cases.merged_into`): its posts and clocks live there;
    it is neither open nor resolved, and offers nothing."""


ACTIVE_STATUSES = (CaseStatus.OPEN.value, CaseStatus.WAITING.value)
"""The statuses of a case someone still works on: what open lists and backlogs count."""

CASE_STATUS_CHECK = "status IN ({})".format(", ".join(f"'{s.value}'" for s in CaseStatus))
"""The CHECK constraint's condition (its migration spells it out, as migrations must)."""


def utc_field(**kw: Any) -> Any:
    """A column of aware UTC instants (`UTCDateTime`), as a SQLModel field."""
    return Field(sa_column=Column(UTCDateTime(), **kw))
