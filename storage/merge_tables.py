"""The table behind suggested merges (SPEC "Suggested merges"): the pairs of cases
someone said are not the same, so they are never suggested again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import utc_field


class MergeDismissal(SQLModel, table=True):
    """Two cases marked "Not the same", as (lower id, higher id): one row per pair
    whichever of the two the button was on, and unique, so two clicks at once still
    leave one row."""

    __tablename__ = "merge_dismissals"
    __table_args__ = (UniqueConstraint("low_id", "high_id", name="uq_merge_dismissal_pair"),)

    id: int | None = Field(default=None, primary_key=True)
    low_id: int = Field(foreign_key="cases.id")
    high_id: int = Field(foreign_key="cases.id")
    actor: str
    at: datetime = utc_field(nullable=False)
