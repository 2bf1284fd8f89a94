"""The rollup's tables (see `storage.rollup`). Days are UTC day numbers (days since
1970-01-01); durations whole microseconds; buckets `storage.rollup.sql.bucket`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Integer
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


def _key() -> Column[int]:
    return Column(Integer, primary_key=True, autoincrement=False)


class SummaryStale(SQLModel, table=True):
    """A case whose facts may differ from the rollup: marked by triggers, in the
    transaction that changed it; `claimed` while a refresh folds it in."""

    __tablename__ = "summary_stale"

    case_id: int = Field(sa_column=_key())
    claimed: bool = False


class CaseFact(SQLModel, table=True):
    """One case as the rollup counts it: its first-response and resolution outcomes that
    no longer depend on the time of asking, its durations and their buckets."""

    __tablename__ = "case_facts"
    __table_args__ = (
        Index("ix_case_facts_fr", "fr_bucket", "created_at", "department", "fr_us"),
        Index("ix_case_facts_res", "res_bucket", "resolved_at", "department", "res_us"),
        Index("ix_case_facts_created_at", "created_at"),
        Index("ix_case_facts_resolved_at", "resolved_at"),
    )

    case_id: int = Field(sa_column=_key())
    department: str
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    created_day: int
    resolved_at: datetime | None = Field(sa_column=Column(UTCDateTime(), nullable=True))
    resolved_day: int | None = None
    answered: str | None = None
    fr_met: int
    fr_decided: int
    res_met: int
    res_decided: int
    fr_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    fr_bucket: int | None = None
    res_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    res_bucket: int | None = None
    root_cause: str | None = None


class HoldFact(SQLModel, table=True):
    """One settled hold of a case escalated at least once (what the OLA report reads)."""

    __tablename__ = "hold_facts"
    __table_args__ = (
        Index("ix_hold_facts_held", "held_bucket", "ended_at", "department", "held_us"),
        Index("ix_hold_facts_ended_at", "ended_at"),
    )

    hold_id: int = Field(sa_column=_key())
    case_id: int = Field(index=True)
    department: str
    ended_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ended_day: int
    held_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    held_bucket: int
    judged: int
    met: int


class SummaryDaily(SQLModel, table=True):
    """Per day a case was opened and its department: sums of `CaseFact`."""

    __tablename__ = "summary_daily"

    day: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    department: str = Field(primary_key=True)
    new: int = 0
    not_needed: int = 0
    elsewhere: int = 0
    unanswered: int = 0
    fr_met: int = 0
    fr_decided: int = 0
    res_met: int = 0
    res_decided: int = 0


class SummaryOlaDaily(SQLModel, table=True):
    """Per day a hold ended and the hold's department: sums of `HoldFact`."""

    __tablename__ = "summary_ola_daily"

    day: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    department: str = Field(primary_key=True)
    judged: int = 0
    met: int = 0


class SummaryHist(SQLModel, table=True):
    """How many values of a metric fell in each bucket, per day and department:
    `fr` (opened → first response, by day opened), `res` (opened → resolved, by day
    resolved), `held` (a hold's held time, by the day it ended)."""

    __tablename__ = "summary_hist"

    metric: str = Field(primary_key=True)
    day: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    department: str = Field(primary_key=True)
    bucket: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    n: int = 0


class SummaryCause(SQLModel, table=True):
    """How many cases resolved that day, in that department, had that root cause."""

    __tablename__ = "summary_causes"

    day: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    department: str = Field(primary_key=True)
    root_cause: str = Field(primary_key=True)
    n: int = 0
